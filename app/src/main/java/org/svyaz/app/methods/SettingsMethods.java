// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.BOOLEAN;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
import static org.svyaz.app.rpc.RpcParam.required;

import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.RelayLink;

/** How the account reaches its server and what the server keeps for it: status, relays, settings, identity. */
public final class SettingsMethods {
    private SettingsMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("status", "Which route reaches the server, and why the others failed.", List.of(),
                        (client, call) -> status(client)),
                AccountMethod.of("addRelay", "Add a relay someone shared (svyaz://relay/...).",
                        List.of(required("link", STRING, "The relay link.")),
                        (client, call) -> {
                            try {
                                client.addRelay(RelayLink.parse(call.string("link")));
                            } catch (InvalidInviteLinkException e) {
                                throw RpcException.userError("That relay link is not valid: " + e.getMessage());
                            }
                            return JsonNodeFactory.instance.objectNode();
                        }),
                AccountMethod.of("updateConfiguration", "Read receipts, typing indicators and relayed calls on or off.",
                        List.of(optional("readReceipts", BOOLEAN, "Tell contacts what you read."),
                                optional("typingIndicators", BOOLEAN, "Tell contacts when you type."),
                                optional("alwaysRelayCalls", BOOLEAN, "Calls only through the server's TURN "
                                        + "servers, so no contact learns your address (Svyaz's own).")),
                        SettingsMethods::updateConfiguration),
                AccountMethod.of("getConfiguration", "Whether read receipts, typing indicators and relayed calls are on.",
                        List.of(),
                        (client, call) -> JsonNodeFactory.instance.objectNode()
                                .put("readReceipts", client.readReceipts())
                                .put("typingIndicators", client.typingIndicators())
                                .put("alwaysRelayCalls", client.alwaysRelayCalls())),
                AccountMethod.of("updateAccount", "Change account settings: sealed sender from anyone, relays only.",
                        List.of(optional("unrestrictedSealedSender", BOOLEAN, "Accept sealed messages from anyone."),
                                optional("relaysOnly", BOOLEAN, "Reach the server only through relays.")),
                        SettingsMethods::updateAccount),
                AccountMethod.of("resetIdentity", "Replace this account's identity key; every contact is warned.",
                        List.of(required("yes", BOOLEAN, "Must be true: contacts will see a changed safety number.")),
                        (client, call) -> {
                            if (!call.bool("yes", false)) {
                                throw RpcException.invalidParams("parameter 'yes' must be true to reset the identity");
                            }
                            client.resetIdentity();
                            return JsonNodeFactory.instance.objectNode();
                        }));
    }

    private static JsonNode status(SvyazClient client) throws Exception {
        ConnectionStatus status = client.status();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("account", client.username());
        node.put("connected", true);
        node.put("route", status.route());
        node.put("routeKind", status.routeKind());
        node.put("relaysOnly", client.relaysOnly());
        var failed = node.putArray("failedRoutes");
        status.failedRoutes().forEach(failed::add);
        node.put("endpoints", status.endpoints());
        node.put("relays", status.relays());
        node.put("flowLimitBytes", status.flowLimitBytes());
        node.put("flowsFrozen", status.flowsFrozen());
        node.put("flowsRotated", status.flowsRotated());
        return node;
    }

    private static JsonNode updateConfiguration(SvyazClient client, RpcCall call) throws Exception {
        var readReceipts = call.raw("readReceipts");
        var typingIndicators = call.raw("typingIndicators");
        var alwaysRelayCalls = call.raw("alwaysRelayCalls");
        if (readReceipts.isEmpty() && typingIndicators.isEmpty() && alwaysRelayCalls.isEmpty()) {
            throw RpcException.invalidParams(
                    "nothing to change: give 'readReceipts', 'typingIndicators' or 'alwaysRelayCalls'");
        }
        if (alwaysRelayCalls.isPresent()) {
            client.setAlwaysRelayCalls(call.bool("alwaysRelayCalls", false));
        }
        if (readReceipts.isPresent()) {
            client.setReadReceipts(call.bool("readReceipts", true));
        }
        if (typingIndicators.isPresent()) {
            client.setTypingIndicators(call.bool("typingIndicators", true));
        }
        return JsonNodeFactory.instance.objectNode();
    }

    private static JsonNode updateAccount(SvyazClient client, RpcCall call) throws Exception {
        var unrestricted = call.raw("unrestrictedSealedSender");
        var relaysOnly = call.raw("relaysOnly");
        if (unrestricted.isEmpty() && relaysOnly.isEmpty()) {
            throw RpcException.invalidParams("nothing to change: give 'unrestrictedSealedSender' or 'relaysOnly'");
        }
        if (unrestricted.isPresent()) {
            client.setUnrestrictedSealedSender(call.bool("unrestrictedSealedSender", false));
        }
        if (relaysOnly.isPresent()) {
            client.setRelaysOnly(call.bool("relaysOnly", false));
        }
        return JsonNodeFactory.instance.objectNode();
    }
}
