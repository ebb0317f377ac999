// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ReceivedSignal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "receive", mixinStandardHelpOptions = true,
        description = {"Fetch and show new messages.",
                "With -o json, one JSON object per line in signal-cli's envelope shape."})
final class ReceiveCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "5",
            description = "Stop after this many seconds without a new message (default ${DEFAULT-VALUE}; "
                    + "negative: wait forever).")
    double timeoutSeconds;

    @Option(names = "--max-messages", paramLabel = "N", defaultValue = "-1",
            description = "Stop after N messages (default: no limit).")
    int maxMessages;

    @Override
    public Integer call() throws Exception {
        Duration idle = timeoutSeconds < 0 ? Duration.ofDays(3650) : Duration.ofMillis((long) (timeoutSeconds * 1000));
        int limit = maxMessages < 0 ? Integer.MAX_VALUE : maxMessages;
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.onTransferProgress(new TerminalProgress(spec.commandLine().getErr(), System.console() != null));
            PrintWriter out = spec.commandLine().getOut();
            client.receive(idle, limit, message -> {
                if (root.output == SvyazCommand.OutputFormat.JSON) {
                    Output.json(out, json(client, message));
                } else {
                    printPlain(out, client, message);
                }
            });
        }
        return ExitCodes.OK;
    }

    private static ObjectNode json(SvyazClient client, ReceivedMessage message) {
        ObjectNode root = Output.object();
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
            message.group().ifPresent(group -> data.putObject("groupInfo")
                    .put("groupId", group.id())
                    .put("groupName", group.title())
                    .put("revision", group.revision())
                    .put("type", group.update() ? "UPDATE" : "DELIVER"));
            message.quote().ifPresent(quote -> {
                ObjectNode quoted = data.putObject("quote");
                quoted.put("id", quote.id());
                quoted.put("author", name(client, quote.author()));
                quoted.putNull("authorNumber");
                quoted.put("authorUuid", quote.author().toString());
                quoted.put("text", quote.text());
                quoted.putArray("attachments");
            });
            if (!message.attachments().isEmpty()) {
                var files = data.putArray("attachments");
                for (var attachment : message.attachments()) {
                    ObjectNode file = files.addObject();
                    file.put("contentType", attachment.contentType());
                    file.put("filename", attachment.fileName());
                    file.put("size", attachment.size());
                    if (attachment.path().isPresent()) {
                        file.put("storedFilename", attachment.path().get().toString());
                    } else {
                        file.putNull("storedFilename");
                    }
                    attachment.error().ifPresent(error -> file.put("error", error));
                }
            }
        }
        message.error().ifPresent(error -> root.putObject("error").put("message", error)
                .put("type", "DecryptionFailure"));
        message.notApplied().ifPresent(problem -> root.putObject("error").put("message", problem)
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

    /** signal-cli's shapes: receiptMessage, typingMessage, editMessage; reactions and deletes inside dataMessage. */
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
            }
            case ReceivedSignal.Typing typing -> envelope.putObject("typingMessage")
                    .put("action", typing.started() ? "STARTED" : "STOPPED")
                    .put("timestamp", typing.timestamp());
            case ReceivedSignal.Reaction reaction -> {
                ObjectNode node = dataMessage(envelope, message.timestamp(), Optional.empty(), 0)
                        .putObject("reaction");
                node.put("emoji", reaction.emoji());
                node.put("targetAuthor", name(client, reaction.targetAuthor()));
                node.putNull("targetAuthorNumber");
                node.put("targetAuthorUuid", reaction.targetAuthor().toString());
                node.put("targetSentTimestamp", reaction.targetSentTimestamp());
                node.put("isRemove", reaction.remove());
            }
            case ReceivedSignal.Edit edit -> {
                ObjectNode node = envelope.putObject("editMessage");
                node.put("targetSentTimestamp", edit.targetSentTimestamp());
                dataMessage(node, edit.editTimestamp(), Optional.of(edit.body()), message.expiresInSeconds());
            }
            case ReceivedSignal.RemoteDelete delete -> dataMessage(envelope, message.timestamp(),
                    Optional.empty(), 0).putObject("remoteDelete").put("timestamp", delete.targetSentTimestamp());
        }
    }

    /** A username when known (this account's or a contact's), else the account id. */
    private static String name(SvyazClient client, UUID account) {
        return client.usernameOf(account).orElse(account.toString());
    }

    private static void printSignal(SvyazClient client, PrintWriter out, ReceivedSignal signal) {
        switch (signal) {
            case ReceivedSignal.Receipt receipt -> out.println("Receipt: " + receipt.type().name().toLowerCase()
                    + " for " + String.join(", ", receipt.timestamps().stream().map(String::valueOf).toList()));
            case ReceivedSignal.Typing typing -> out.println("Typing: " + (typing.started() ? "started" : "stopped"));
            case ReceivedSignal.Reaction reaction -> out.println("Reaction: " + reaction.emoji()
                    + (reaction.remove() ? " (removed)" : "") + " to the message of "
                    + name(client, reaction.targetAuthor()) + " sent at " + reaction.targetSentTimestamp());
            case ReceivedSignal.Edit edit -> out.println("Edit of the message sent at " + edit.targetSentTimestamp()
                    + ": " + edit.body());
            case ReceivedSignal.RemoteDelete delete -> out.println("Deleted for everyone: the message sent at "
                    + delete.targetSentTimestamp());
        }
    }

    private static void printPlain(PrintWriter out, SvyazClient client, ReceivedMessage message) {
        String account = client.username();
        String from = message.sourceName().map(name -> "\u201c" + name + "\u201d " + message.source())
                .orElse(message.source());
        out.println("Envelope from: " + from + " (device: " + message.sourceDevice() + ") to " + account);
        out.println("Timestamp: " + message.timestamp() + " (" + Instant.ofEpochMilli(message.timestamp()) + ")");
        out.println("Server timestamp: " + message.serverTimestamp() + " ("
                + Instant.ofEpochMilli(message.serverTimestamp()) + ")");
        if (message.untrusted()) {
            out.println("Warning: the sender's safety number has changed and is not yet trusted; "
                    + "verify it with listIdentities before relying on this message.");
        }
        message.group().ifPresent(group -> out.println("Group: " + group.title() + " (" + group.id() + ")"
                + (group.update() ? ", changed: now at revision " + group.revision() : "")));
        message.quote().ifPresent(quote -> out.println("Quote: " + name(client, quote.author()) + " at " + quote.id()
                + ": " + quote.text()));
        message.body().ifPresent(body -> out.println("Body: " + body));
        message.signal().ifPresent(signal -> printSignal(client, out, signal));
        message.notApplied().ifPresent(problem -> out.println(problem));
        for (var attachment : message.attachments()) {
            out.println("Attachment: " + attachment.fileName() + " (" + attachment.contentType() + ", "
                    + attachment.size() + " bytes) " + attachment.path().map(p -> "saved as " + p)
                    .orElse(attachment.error().orElse("not saved")));
        }
        if (message.timerUpdate()) {
            out.println(message.expiresInSeconds() == 0
                    ? "Disappearing messages were turned off."
                    : "Disappearing messages were set to " + message.expiresInSeconds() + " s.");
        } else if (message.expiresInSeconds() > 0) {
            out.println("Expires in: " + message.expiresInSeconds() + " seconds");
        }
        message.error().ifPresent(error -> out.println("Error: " + error));
        out.println();
        out.flush();
    }
}
