// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ReceivedMessage;
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
                    Output.json(out, json(client.username(), message));
                } else {
                    printPlain(out, client.username(), message);
                }
            });
        }
        return ExitCodes.OK;
    }

    private static ObjectNode json(String account, ReceivedMessage message) {
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
        if (message.body().isPresent() || message.timerUpdate()) {
            ObjectNode data = envelope.putObject("dataMessage");
            data.put("timestamp", message.timestamp());
            if (message.body().isPresent()) {
                data.put("message", message.body().get());
            } else {
                data.putNull("message");
            }
            data.put("expiresInSeconds", message.expiresInSeconds());
            data.put("viewOnce", false);
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
        root.put("account", account);
        return root;
    }

    private static void printPlain(PrintWriter out, String account, ReceivedMessage message) {
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
        message.body().ifPresent(body -> out.println("Body: " + body));
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
