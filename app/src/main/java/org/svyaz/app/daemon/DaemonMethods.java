// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.util.List;
import java.util.function.Consumer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcMethod;
import org.svyaz.app.rpc.RpcParam;
import org.svyaz.app.ExitCodes;
import org.svyaz.app.methods.Probing;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;

/** Methods about the daemon itself rather than one account. */
final class DaemonMethods {
    private DaemonMethods() {}

    /** {@code joined}: told of every account registered through the daemon, so it receives too. */
    static List<RpcMethod> all(OpenAccounts accounts, String version, Consumer<SvyazClient> joined,
                               DaemonRuntime.AppOpener app) {
        return List.of(
                RpcMethod.of("openApp", "A link that opens the web app in a browser, with a one-time secret; "
                        + "serves the app on 127.0.0.1 first if this daemon does not yet (Svyaz's own).", List.of(),
                        call -> JsonNodeFactory.instance.objectNode().put("url", app.open())),
                RpcMethod.of("register", "Create an account on the server of an invite link and serve it (multi-account "
                        + "daemons only).", List.of(
                                RpcParam.required("server", RpcParam.Type.STRING, "The invite link, svyaz://server/..."),
                                RpcParam.required("username", RpcParam.Type.STRING,
                                        "nickname.NN, or a bare nickname to get free digits picked."),
                                RpcParam.optional("relay", RpcParam.Type.ARRAY, "Relay links to use when "
                                        + "the server is blocked.")), call -> {
                    SvyazClient client = register(accounts, call);
                    joined.accept(client);
                    return JsonNodeFactory.instance.objectNode()
                            .put("username", client.username())
                            .put("uuid", client.accountId().toString());
                }),
                RpcMethod.of("version", "The daemon's name and version.", List.of(), call ->
                        JsonNodeFactory.instance.objectNode().put("version", version)),
                RpcMethod.of("listAccounts", "The accounts this daemon serves.", List.of(), call -> {
                    ArrayNode list = JsonNodeFactory.instance.arrayNode();
                    for (SvyazClient client : accounts.all()) {
                        list.addObject()
                                .putNull("number")
                                .put("username", client.username());
                    }
                    return list;
                }));
    }

    private static SvyazClient register(OpenAccounts accounts, RpcCall call) throws Exception {
        try {
            List<RelayLink> relays = Probing.parseRelays(call.stringList("relay"));
            return accounts.register(InviteLink.parse(call.string("server")), relays, call.string("username"));
        } catch (InvalidInviteLinkException e) {
            throw RpcException.userError(e.getMessage());
        } catch (ClientException e) {
            throw new RpcException(-ExitCodes.of(e), e.getMessage());
        }
    }
}
