// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.ARRAY;
import static org.svyaz.app.rpc.RpcParam.Type.INTEGER;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
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
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ChatSummary;
import org.svyaz.client.api.ContactInfo;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.GroupDetails;

/**
 * What this device keeps of its conversations, for screens that show them (the web app). signal-cli
 * keeps no messages and has no such method; these are Svyaz's own.
 */
public final class HistoryMethods {
    private HistoryMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("listMessages", "A conversation as stored here, oldest first: texts with their "
                                + "edits, deletes, reactions and receipts.",
                        List.of(optional("recipient", STRING, "The contact."),
                                optional("groupId", STRING, "A group's id instead (listGroups)."),
                                optional("before", INTEGER, "Only messages sent before this timestamp."),
                                optional("limit", INTEGER, "At most this many, the newest of them.")),
                        (client, call) -> messages(client, page(call, call.optionalString("groupId").isPresent()
                                ? client.groupConversation(call.string("groupId"))
                                : client.conversation(recipientOf(call))))),
                AccountMethod.of("markRead", "You read these messages from a contact or in a group: marked read "
                                + "here, and each author told unless read receipts are off (see updateConfiguration).",
                        List.of(optional("recipient", STRING, "The contact who sent them."),
                                optional("groupId", STRING, "Or the group they were sent to."),
                                required("targetTimestamp", ARRAY, "Their sent timestamps (one or an array).")),
                        (client, call) -> {
                            List<Long> timestamps = MessageMethods.longList(call, "targetTimestamp");
                            if (call.optionalString("groupId").isPresent()) {
                                return JsonNodeFactory.instance.objectNode().put("readReceiptSent",
                                        !client.markReadInGroup(call.string("groupId"), timestamps).isEmpty());
                            }
                            return JsonNodeFactory.instance.objectNode().put("readReceiptSent",
                                    client.markRead(recipientOf(call), timestamps).isPresent());
                        }),
                AccountMethod.of("listChats", "Conversations with their latest message and unread count, "
                                + "newest first.", List.of(),
                        (client, call) -> listChats(client)));
    }

    /** The newest {@code limit} messages sent before {@code before}, oldest first: a page when scrolling back. */
    private static List<ConversationMessage> page(RpcCall call, List<ConversationMessage> all) throws RpcException {
        long before = call.optionalLong("before").orElse(Long.MAX_VALUE);
        int limit = call.optionalInt("limit").orElse(Integer.MAX_VALUE);
        if (limit < 1) {
            throw RpcException.invalidParams("parameter 'limit' must be at least 1");
        }
        List<ConversationMessage> earlier = all.stream().filter(m -> m.timestamp() < before).toList();
        return earlier.subList(Math.max(0, earlier.size() - limit), earlier.size());
    }

    /** The contact a call names; a call must name a contact or a group. */
    private static String recipientOf(RpcCall call) throws RpcException {
        if (call.optionalString("recipient").isEmpty()) {
            throw RpcException.invalidParams("give 'recipient' or 'groupId'");
        }
        return call.string("recipient");
    }

    private static JsonNode listChats(SvyazClient client) throws Exception {
        List<ObjectNode> chats = new ArrayList<>();
        for (GroupDetails group : client.listGroups()) {
            Optional<ChatSummary> summary = client.groupSummary(group.id());
            if (!group.member() && summary.isEmpty()) {
                continue;
            }
            // A group appears as soon as it exists, like in Signal, even before anyone wrote in it.
            ObjectNode chat = JsonNodeFactory.instance.objectNode()
                    .put("groupId", group.id())
                    .put("name", group.title())
                    .put("unread", summary.map(ChatSummary::unread).orElse(0));
            ObjectNode last = chat.putObject("lastMessage");
            if (summary.isPresent()) {
                last.put("timestamp", summary.get().lastTimestamp())
                        .put("body", summary.get().lastBody().orElse(""))
                        .put("outgoing", summary.get().lastOutgoing());
            } else {
                last.put("timestamp", 0).put("body", "").put("outgoing", false);
            }
            chats.add(chat);
        }
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

    private static JsonNode messages(SvyazClient client, List<ConversationMessage> conversation) {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        for (ConversationMessage message : conversation) {
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
            EnvelopeJson.attachments(entry.putArray("attachments"), message.attachments());
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
