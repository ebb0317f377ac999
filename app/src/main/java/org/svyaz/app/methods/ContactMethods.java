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
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ContactInfo;
import org.svyaz.client.api.IdentityInfo;

/** Contacts and this account's profile: identities and their trust, disappearing timers, the profile name. */
public final class ContactMethods {
    private ContactMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("listContacts", "Everyone you have written to or heard from.",
                        List.of(optional("recipient", STRING, "Only this contact.")),
                        (client, call) -> listContacts(client, call.optionalString("recipient"))),
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
                            client.setExpirationTimer(call.string("recipient"), call.requiredInt("expiration"));
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

    /** signal-cli's contact shape; fields Svyaz has no data for (numbers, nicknames, colours) are left out. */
    private static JsonNode listContacts(SvyazClient client, Optional<String> only) {
        ArrayNode contacts = JsonNodeFactory.instance.arrayNode();
        for (ContactInfo contact : client.contacts()) {
            if (only.isPresent() && !only.get().equalsIgnoreCase(contact.username())) {
                continue;
            }
            String name = contact.profileName().orElse("");
            ObjectNode entry = contacts.addObject()
                    .putNull("number")
                    .put("uuid", contact.accountId().toString())
                    .put("username", contact.username())
                    .put("name", name)
                    .put("isBlocked", false)
                    .put("messageExpirationTime", contact.expirationSeconds());
            entry.putObject("profile").put("givenName", name);
        }
        return contacts;
    }

    private static JsonNode listIdentities(SvyazClient client, Optional<String> only) throws Exception {
        ArrayNode identities = JsonNodeFactory.instance.arrayNode();
        for (IdentityInfo identity : client.identities(only)) {
            ObjectNode entry = identities.addObject()
                    .put("username", identity.username())
                    .put("uuid", identity.accountId().toString())
                    .put("safetyNumber", identity.safetyNumber())
                    .put("trustLevel", identity.trust())
                    .put("addedTimestamp", identity.addedAtMillis());
            if (only.isPresent()) {
                // For one contact, the number as a QR code too, for comparing by camera (Svyaz's own field).
                entry.set("safetyNumberQr", QrModules.of(identity.safetyNumber()));
            }
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
