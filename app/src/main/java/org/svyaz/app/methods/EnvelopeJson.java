// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.GroupReceiptState;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ReceivedSignal;

/**
 * A received message as signal-cli's JSON shows it, for {@code receive -o json} and the daemon's
 * {@code receive} notifications alike: scripts written against signal-cli read it unchanged.
 */
public final class EnvelopeJson {
    private EnvelopeJson() {}

    /** The {@code receive} object: {@code {envelope: {...}, account}}, plus {@code exception} when it failed. */
    public static ObjectNode of(SvyazClient client, ReceivedMessage message) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode envelope = root.putObject("envelope");
        envelope.put("source", message.source());
        envelope.putNull("sourceNumber");
        envelope.put("sourceUuid", message.sourceAccount().toString());
        envelope.put("sourceName", message.sourceName().orElse(message.source()));
        envelope.put("sourceDevice", message.sourceDevice());
        envelope.put("timestamp", message.timestamp());
        envelope.put("serverReceivedTimestamp", message.serverTimestamp());
        envelope.put("untrustedIdentity", message.untrusted());
        if (message.signal().isPresent()) {
            signalJson(client, envelope, message, message.signal().get());
        } else if (message.body().isPresent() || message.timerUpdate() || message.group().isPresent()) {
            ObjectNode data = dataMessage(envelope, message.timestamp(), message.body(), message.expiresInSeconds());
            data.put("isExpirationUpdate", message.timerUpdate());
            message.group().ifPresent(group -> data.putObject("groupInfo")
                    .put("groupId", group.id())
                    .put("groupName", group.title())
                    .put("revision", group.revision())
                    .put("type", group.update() ? "UPDATE" : "DELIVER"));
            message.quote().ifPresent(quote -> {
                ObjectNode quoted = data.putObject("quote");
                quoted.put("id", quote.id());
                quoted.put("author", nameOf(client, quote.author()));
                quoted.putNull("authorNumber");
                quoted.put("authorUuid", quote.author().toString());
                quoted.put("text", quote.text());
                quoted.putArray("attachments");
            });
            if (!message.attachments().isEmpty()) {
                attachments(data.putArray("attachments"), message.attachments());
            }
        }
        message.error().ifPresent(error -> root.putObject("exception").put("message", error)
                .put("type", "DecryptionFailure"));
        message.notApplied().ifPresent(problem -> root.putObject("exception").put("message", problem)
                .put("type", "NotApplied"));
        root.put("account", client.username());
        return root;
    }

    private static ObjectNode dataMessage(ObjectNode envelope, long timestamp, Optional<String> body,
                                          int expiresInSeconds) {
        ObjectNode data = envelope.putObject("dataMessage");
        data.put("timestamp", timestamp);
        if (body.isPresent()) {
            data.put("message", body.get());
        } else {
            data.putNull("message");
        }
        data.put("expiresInSeconds", expiresInSeconds);
        data.put("viewOnce", false);
        return data;
    }

    private static void putOptional(ObjectNode node, String field, Optional<Long> value) {
        if (value.isPresent()) {
            node.put(field, value.get());
        } else {
            node.putNull(field);
        }
    }

    /** signal-cli's shapes: receiptMessage, typingMessage, editMessage, callMessage; reactions and deletes inside dataMessage. */
    private static void signalJson(SvyazClient client, ObjectNode envelope, ReceivedMessage message,
                                   ReceivedSignal signal) {
        switch (signal) {
            case ReceivedSignal.Receipt receipt -> {
                ObjectNode node = envelope.putObject("receiptMessage");
                node.put("when", message.timestamp());
                node.put("isDelivery", receipt.type() == ReceiptType.DELIVERY);
                node.put("isRead", receipt.type() == ReceiptType.READ);
                node.put("isViewed", receipt.type() == ReceiptType.VIEWED);
                var timestamps = node.putArray("timestamps");
                receipt.timestamps().forEach(timestamps::add);
                // Svyaz's own: a receipt names no group, and one member's receipt changes a group
                // message's ticks only with everyone else's, so the state for the whole group is told.
                ArrayNode groupMessages = node.putArray("groupMessages");
                for (GroupReceiptState state : client.groupReceiptStates(receipt.timestamps())) {
                    ObjectNode entry = groupMessages.addObject()
                            .put("groupId", state.groupId())
                            .put("timestamp", state.timestamp());
                    putOptional(entry, "deliveredAt", state.deliveredAt());
                    putOptional(entry, "readAt", state.readAt());
                    putOptional(entry, "viewedAt", state.viewedAt());
                }
            }
            case ReceivedSignal.Typing typing -> {
                ObjectNode node = envelope.putObject("typingMessage")
                        .put("action", typing.started() ? "STARTED" : "STOPPED")
                        .put("timestamp", typing.timestamp());
                if (typing.groupId().isPresent()) {
                    node.put("groupId", typing.groupId().get());
                } else {
                    node.putNull("groupId");
                }
            }
            case ReceivedSignal.Reaction reaction -> {
                ObjectNode data = dataMessage(envelope, message.timestamp(), Optional.empty(), 0);
                groupInfo(data, reaction.groupId());
                ObjectNode node = data.putObject("reaction");
                node.put("emoji", reaction.emoji());
                node.put("targetAuthor", nameOf(client, reaction.targetAuthor()));
                node.putNull("targetAuthorNumber");
                node.put("targetAuthorUuid", reaction.targetAuthor().toString());
                node.put("targetSentTimestamp", reaction.targetSentTimestamp());
                node.put("isRemove", reaction.remove());
            }
            case ReceivedSignal.Edit edit -> {
                ObjectNode node = envelope.putObject("editMessage");
                node.put("targetSentTimestamp", edit.targetSentTimestamp());
                groupInfo(dataMessage(node, edit.editTimestamp(), Optional.of(edit.body()), message.expiresInSeconds()),
                        edit.groupId());
            }
            case ReceivedSignal.RemoteDelete delete -> {
                ObjectNode data = dataMessage(envelope, message.timestamp(), Optional.empty(), 0);
                groupInfo(data, delete.groupId());
                data.putObject("remoteDelete").put("timestamp", delete.targetSentTimestamp());
            }
            case ReceivedSignal.Call call -> CallMessageJson.write(envelope.putObject("callMessage"), call.step());
        }
    }

    /** For a signal about a group's message, the group as signal-cli names it: {@code groupInfo.groupId}. */
    private static void groupInfo(ObjectNode data, Optional<String> groupId) {
        groupId.ifPresent(id -> data.putObject("groupInfo").put("groupId", id).put("type", "DELIVER"));
    }

    /** A username when known (this account's or a contact's), else the account id. */
    public static String nameOf(SvyazClient client, UUID account) {
        return client.usernameOf(account).orElse(account.toString());
    }

    /** Received files in signal-cli's shape; {@code id} is what getAttachment takes. */
    static void attachments(ArrayNode files, List<ReceivedAttachment> attachments) {
        for (ReceivedAttachment attachment : attachments) {
            ObjectNode file = files.addObject();
            file.put("contentType", attachment.contentType());
            file.put("filename", attachment.fileName());
            file.put("size", attachment.size());
            file.put("voiceNote", attachment.voiceNote());
            if (attachment.path().isPresent()) {
                // The file's name in the account's attachment folder.
                file.put("id", attachment.path().get().getFileName().toString());
                file.put("storedFilename", attachment.path().get().toString());
            } else {
                file.putNull("id");
                file.putNull("storedFilename");
            }
            attachment.error().ifPresent(error -> file.put("error", error));
        }
    }
}
