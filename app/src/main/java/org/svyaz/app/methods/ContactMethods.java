// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.BOOLEAN;
import static org.svyaz.app.rpc.RpcParam.Type.INTEGER;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
import static org.svyaz.app.rpc.RpcParam.required;

import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.IdentityInfo;

/** Contacts and this account's profile: identities and their trust, disappearing timers, the profile name. */
public final class ContactMethods {
    private ContactMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("listIdentities", "Contacts' identity keys with safety numbers and trust.",
                        List.of(optional("recipient", STRING, "Only this contact.")),
                        (client, call) -> listIdentities(client, call.optionalString("recipient"))),
                AccountMethod.of("trust", "Mark a contact's key verified (after comparing safety numbers) or accept it.",
                        List.of(required("recipient", STRING, "The contact."),
                                optional("verifiedSafetyNumber", STRING, "The safety number you compared."),
                                optional("trustAllKnownKeys", BOOLEAN, "Accept the contact's current key.")),
                        ContactMethods::trust),
                AccountMethod.of("updateContact", "Set the disappearing-message timer of a conversation.",
                        List.of(required("recipient", STRING, "The contact."),
                                required("expiration", INTEGER, "Seconds; 0 turns it off.")),
                        (client, call) -> {
                            int seconds = call.optionalInt("expiration").orElseThrow(() ->
                                    RpcException.invalidParams("missing required parameter 'expiration'"));
                            client.setExpirationTimer(call.string("recipient"), seconds);
                            return JsonNodeFactory.instance.objectNode();
                        }),
                AccountMethod.of("updateProfile", "Set your profile name, readable only by your contacts.",
                        List.of(optional("name", STRING, "Your display name."),
                                optional("givenName", STRING, "The same as name.")),
                        (client, call) -> {
                            Optional<String> name = call.optionalString("name");
                            client.setProfileName(name.isPresent() ? name.get() : call.string("givenName"));
                            return JsonNodeFactory.instance.objectNode();
                        }));
    }

    private static JsonNode listIdentities(SvyazClient client, Optional<String> only) throws Exception {
        ArrayNode identities = JsonNodeFactory.instance.arrayNode();
        for (IdentityInfo identity : client.identities(only)) {
            identities.addObject()
                    .put("username", identity.username())
                    .put("uuid", identity.accountId().toString())
                    .put("safetyNumber", identity.safetyNumber())
                    .put("trustLevel", identity.trust())
                    .put("addedTimestamp", identity.addedAtMillis());
        }
        return identities;
    }

    private static JsonNode trust(SvyazClient client, RpcCall call) throws Exception {
        String recipient = call.string("recipient");
        Optional<String> safetyNumber = call.optionalString("verifiedSafetyNumber");
        boolean acceptAll = call.bool("trustAllKnownKeys", false);
        if (safetyNumber.isPresent() == acceptAll) {
            throw RpcException.invalidParams("give either 'verifiedSafetyNumber' or 'trustAllKnownKeys'");
        }
        if (safetyNumber.isPresent()) {
            client.trustVerified(recipient, safetyNumber.get());
        } else {
            client.trustAccept(recipient);
        }
        return JsonNodeFactory.instance.objectNode();
    }
}
