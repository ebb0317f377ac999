// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.required;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ChatSummary;
import org.svyaz.client.api.ContactInfo;
import org.svyaz.client.api.ConversationMessage;

/**
 * What this device keeps of its conversations, for screens that show them (the web app). signal-cli
 * keeps no messages and has no such method; these are Svyaz's own.
 */
public final class HistoryMethods {
    private HistoryMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("listMessages", "The conversation with a contact as stored here, oldest first: "
                                + "texts with their edits, deletes, reactions and receipts.",
                        List.of(required("recipient", STRING, "The contact.")),
                        (client, call) -> listMessages(client, call.string("recipient"))),
                AccountMethod.of("listChats", "Conversations with their latest message and unread count, "
                                + "newest first.", List.of(),
                        (client, call) -> listChats(client)));
    }

    private static JsonNode listChats(SvyazClient client) throws Exception {
        List<ObjectNode> chats = new ArrayList<>();
        for (ContactInfo contact : client.contacts()) {
            Optional<ChatSummary> summary = client.chatSummary(contact.accountId());
            if (summary.isEmpty()) {
                continue;
            }
            ObjectNode chat = JsonNodeFactory.instance.objectNode()
                    .put("recipient", contact.username())
                    .put("name", contact.profileName().orElse(""))
                    .put("unread", summary.get().unread());
            chat.putObject("lastMessage")
                    .put("timestamp", summary.get().lastTimestamp())
                    .put("body", summary.get().lastBody().orElse(""))
                    .put("outgoing", summary.get().lastOutgoing());
            chats.add(chat);
        }
        chats.sort(Comparator.comparingLong((ObjectNode chat) -> chat.get("lastMessage").get("timestamp").asLong())
                .reversed());
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        chats.forEach(result::add);
        return result;
    }

    private static JsonNode listMessages(SvyazClient client, String contact) throws Exception {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        for (ConversationMessage message : client.conversation(contact)) {
            ObjectNode entry = messages.addObject()
                    .put("timestamp", message.timestamp())
                    .put("outgoing", message.outgoing())
                    .put("author", name(client, message.author()))
                    .put("body", message.body().orElse(""))
                    .put("remoteDeleted", message.remoteDeleted());
            putOptional(entry, "editedAt", message.editedAt());
            putOptional(entry, "deliveredAt", message.deliveredAt());
            putOptional(entry, "readAt", message.readAt());
            putOptional(entry, "viewedAt", message.viewedAt());
            if (message.quote().isPresent()) {
                entry.putObject("quote")
                        .put("id", message.quote().get().id())
                        .put("author", name(client, message.quote().get().author()))
                        .put("text", message.quote().get().text());
            }
            ObjectNode reactions = entry.putObject("reactions");
            for (Map.Entry<UUID, String> reaction : message.reactions().entrySet()) {
                reactions.put(name(client, reaction.getKey()), reaction.getValue());
            }
        }
        return messages;
    }

    private static String name(SvyazClient client, UUID account) {
        return client.usernameOf(account).orElse(account.toString());
    }

    private static void putOptional(ObjectNode entry, String field, Optional<Long> value) {
        if (value.isPresent()) {
            entry.put(field, value.get());
        } else {
            entry.putNull(field);
        }
    }
}
