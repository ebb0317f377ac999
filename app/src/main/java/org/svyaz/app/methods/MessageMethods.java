// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.ARRAY;
import static org.svyaz.app.rpc.RpcParam.Type.BOOLEAN;
import static org.svyaz.app.rpc.RpcParam.Type.INTEGER;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
import static org.svyaz.app.rpc.RpcParam.required;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.GroupDetails;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.SendResult;

/** Sending: messages (to people or a group, with files, quotes and edits) and the signals about them. */
public final class MessageMethods {
    private MessageMethods() {}

    /** One send to one recipient. */
    @FunctionalInterface
    interface OneSend {
        SendResult to(String recipient) throws ClientException;
    }

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("send", "Send a message to users or to a group; every recipient is reported.",
                        List.of(optional("recipient", ARRAY, "Usernames (one string or an array), like alice.42."),
                                optional("groupId", STRING, "A group's id, as listGroups shows it, instead of recipients."),
                                required("message", STRING, "The text."),
                                optional("attachments", ARRAY, "Paths of files (readable by the daemon) to send with it."),
                                optional("attachment", STRING, "One such path."),
                                optional("voiceNote", BOOLEAN, "The files are voice notes: recordings to play in the "
                                        + "conversation, not files to open."),
                                optional("quoteTimestamp", INTEGER, "Reply to the message sent at this timestamp."),
                                optional("quoteAuthor", STRING, "The quoted message's author (default: found by timestamp; "
                                        + "in a group, your own message)."),
                                optional("editTimestamp", INTEGER, "Replace the text of your message sent at this timestamp.")),
                        MessageMethods::send),
                AccountMethod.of("sendReaction", "React with one emoji to a message of a conversation.",
                        List.of(optional("recipient", STRING, "The contact."),
                                optional("groupId", STRING, "A group's id instead: a message of the group."),
                                required("emoji", STRING, "Exactly one emoji."),
                                required("targetAuthor", STRING, "Who wrote the message: the contact or you."),
                                required("targetTimestamp", INTEGER, "The message's sent timestamp."),
                                optional("remove", BOOLEAN, "Withdraw the reaction.")),
                        (client, call) -> {
                            String emoji = call.string("emoji");
                            String targetAuthor = call.string("targetAuthor");
                            long targetTimestamp = call.requiredLong("targetTimestamp");
                            boolean remove = call.bool("remove", false);
                            Optional<String> groupId = call.optionalString("groupId");
                            if (groupId.isPresent() == call.optionalString("recipient").isPresent()) {
                                throw RpcException.invalidParams("name either 'recipient' or 'groupId'");
                            }
                            if (groupId.isPresent()) {
                                return groupResults(client, groupId.get(), client.sendGroupReaction(groupId.get(),
                                        emoji, targetAuthor, targetTimestamp, remove));
                            }
                            return one(client, call, recipient -> client.sendReaction(recipient, emoji, targetAuthor,
                                    targetTimestamp, remove));
                        }),
                AccountMethod.of("sendReceipt", "Tell a contact that you read or viewed messages they sent.",
                        List.of(required("recipient", STRING, "The contact who sent the messages."),
                                required("targetTimestamp", ARRAY, "Sent timestamps of their messages (one or an array)."),
                                optional("type", STRING, "read (default) or viewed.")),
                        (client, call) -> {
                            ReceiptType type = receiptType(call);
                            List<Long> timestamps = longList(call, "targetTimestamp");
                            return one(client, call, recipient -> client.sendReceipt(recipient, type, timestamps));
                        }),
                AccountMethod.of("sendTyping", "Tell a contact or a group that you started (or, with stop, "
                                + "stopped) typing.",
                        List.of(optional("recipient", STRING, "The contact."),
                                optional("groupId", STRING, "A group's id instead: its members are told."),
                                optional("stop", BOOLEAN, "Typing stopped.")),
                        (client, call) -> {
                            boolean stop = call.bool("stop", false);
                            Optional<String> groupId = call.optionalString("groupId");
                            if (groupId.isPresent() == call.optionalString("recipient").isPresent()) {
                                throw RpcException.invalidParams("name either 'recipient' or 'groupId'");
                            }
                            if (groupId.isPresent()) {
                                return groupResults(client, groupId.get(), client.sendTypingInGroup(groupId.get(), stop));
                            }
                            return one(client, call, recipient -> client.sendTyping(recipient, stop));
                        }),
                AccountMethod.of("getAttachment", "A received file, base64-encoded, by its id from the envelope.",
                        List.of(required("id", STRING, "The attachment's id (attachments[].id of the envelope)."),
                                optional("recipient", STRING, "Accepted as signal-cli does; not needed."),
                                optional("groupId", STRING, "Accepted as signal-cli does; not needed.")),
                        (client, call) -> JsonNodeFactory.instance.objectNode().put("data", Base64.getEncoder()
                                .encodeToString(Files.readAllBytes(client.receivedAttachment(call.string("id")))))),
                AccountMethod.of("remoteDelete", "Delete a message you sent, for everyone.",
                        List.of(optional("recipient", STRING, "The recipient of that message."),
                                optional("groupId", STRING, "A group's id instead: your message to the group."),
                                required("targetTimestamp", INTEGER, "The sent timestamp of your message.")),
                        (client, call) -> {
                            long targetTimestamp = call.requiredLong("targetTimestamp");
                            Optional<String> groupId = call.optionalString("groupId");
                            if (groupId.isPresent() == call.optionalString("recipient").isPresent()) {
                                throw RpcException.invalidParams("name either 'recipient' or 'groupId'");
                            }
                            if (groupId.isPresent()) {
                                return groupResults(client, groupId.get(),
                                        client.remoteDeleteInGroup(groupId.get(), targetTimestamp));
                            }
                            return one(client, call, recipient -> client.remoteDelete(recipient, targetTimestamp));
                        }));
    }

    private static JsonNode send(SvyazClient client, RpcCall call) throws Exception {
        List<String> recipients = call.stringList("recipient");
        Optional<String> groupId = call.optionalString("groupId");
        String message = call.string("message");
        List<Path> files = new ArrayList<>();
        for (String file : call.stringList("attachments")) {
            files.add(Path.of(file));
        }
        for (String file : call.stringList("attachment")) {
            files.add(Path.of(file));
        }
        boolean voiceNote = call.bool("voiceNote", false);
        OptionalLong quoteTimestamp = call.optionalLong("quoteTimestamp");
        Optional<String> quoteAuthor = call.optionalString("quoteAuthor");
        OptionalLong editTimestamp = call.optionalLong("editTimestamp");
        if (voiceNote && files.isEmpty()) {
            throw RpcException.invalidParams("'voiceNote' marks attachments: name the recording in 'attachments'");
        }
        if (groupId.isPresent() == !recipients.isEmpty()) {
            throw RpcException.invalidParams("name either 'recipient' or 'groupId'");
        }
        if (quoteAuthor.isPresent() && quoteTimestamp.isEmpty()) {
            throw RpcException.invalidParams("'quoteAuthor' goes with 'quoteTimestamp'");
        }
        if (editTimestamp.isPresent() && (!files.isEmpty() || quoteTimestamp.isPresent())) {
            throw RpcException.invalidParams("an edit changes only the text: 'editTimestamp' goes with neither "
                    + "'attachments' nor 'quoteTimestamp'");
        }
        Optional<QuoteTarget> quote = quoteTimestamp.isPresent()
                ? Optional.of(new QuoteTarget(quoteTimestamp.getAsLong(), quoteAuthor))
                : Optional.empty();
        if (groupId.isPresent()) {
            return groupResults(client, groupId.get(), editTimestamp.isPresent()
                    ? client.editGroupMessage(groupId.get(), editTimestamp.getAsLong(), message)
                    : client.sendToGroup(groupId.get(), message, files, quote, voiceNote));
        }
        SendResults results = new SendResults();
        for (String recipient : recipients) {
            sendOne(client, results, recipient, to -> editTimestamp.isPresent()
                    ? client.editMessage(to, editTimestamp.getAsLong(), message)
                    : client.send(to, message, files, quote, voiceNote));
        }
        return results.response();
    }

    /** What a send to a group answers: every other member, reached by the one fan-out. */
    private static JsonNode groupResults(SvyazClient client, String groupId, SendResult sent) throws RpcException {
        SendResults results = new SendResults();
        for (GroupDetails group : client.listGroups()) {
            if (group.id().equals(groupId)) {
                for (GroupDetails.Member member : group.members()) {
                    if (!member.accountId().equals(client.accountId())) {
                        results.succeeded(member.username(), Optional.of(member.accountId()), sent);
                    }
                }
            }
        }
        return results.response();
    }

    static JsonNode one(SvyazClient client, RpcCall call, OneSend send) throws Exception {
        SendResults results = new SendResults();
        sendOne(client, results, call.string("recipient"), send);
        return results.response();
    }

    private static void sendOne(SvyazClient client, SendResults results, String recipient, OneSend send)
            throws ClientException {
        try {
            SendResult sent = send.to(recipient);
            results.succeeded(recipient, client.knownAccount(recipient), sent);
        } catch (ClientException e) {
            // No second lookup: the send just tried one.
            results.failed(recipient, client.knownAccount(recipient), e);
        }
    }

    private static ReceiptType receiptType(RpcCall call) throws RpcException {
        String type = call.optionalString("type").orElse("read").toLowerCase(Locale.ROOT);
        return switch (type) {
            case "read" -> ReceiptType.READ;
            case "viewed" -> ReceiptType.VIEWED;
            default -> throw RpcException.invalidParams("parameter 'type' must be read or viewed");
        };
    }

    /** One integer or an array of them. */
    static List<Long> longList(RpcCall call, String name) throws RpcException {
        JsonNode value = call.raw(name).orElseThrow(() ->
                RpcException.invalidParams("missing required parameter '" + name + "'"));
        List<Long> values = new ArrayList<>();
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            values.add(value.longValue());
        } else if (value.isArray() && !value.isEmpty()) {
            for (JsonNode element : value) {
                if (!element.isIntegralNumber() || !element.canConvertToLong()) {
                    throw RpcException.invalidParams("parameter '" + name + "' must be an integer or an array of them");
                }
                values.add(element.longValue());
            }
        } else {
            throw RpcException.invalidParams("parameter '" + name + "' must be an integer or an array of them");
        }
        return values;
    }
}
