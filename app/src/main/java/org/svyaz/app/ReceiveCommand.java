// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.svyaz.app.methods.EnvelopeJson;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.CallStep;
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
        if (AccountCall.daemonRuns(root.accountDir())) {
            // A second connection for the account would knock the daemon offline.
            throw new CommandLineException("A daemon serves this account and receives its messages: read them from "
                    + "it (subscribeReceive, or GET /api/v1/events with --http), or stop it first.");
        }
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.onTransferProgress(new TerminalProgress(spec.commandLine().getErr(), System.console() != null));
            PrintWriter out = spec.commandLine().getOut();
            client.receive(idle, limit, message -> {
                if (root.output == SvyazCommand.OutputFormat.JSON) {
                    Output.json(out, EnvelopeJson.of(client, message));
                } else {
                    printPlain(out, client, message);
                }
            });
        }
        return ExitCodes.OK;
    }

    private static void printSignal(SvyazClient client, PrintWriter out, ReceivedSignal signal) {
        switch (signal) {
            case ReceivedSignal.Receipt receipt -> out.println("Receipt: " + receipt.type().name().toLowerCase()
                    + " for " + String.join(", ", receipt.timestamps().stream().map(String::valueOf).toList()));
            case ReceivedSignal.Typing typing -> out.println("Typing: " + (typing.started() ? "started" : "stopped"));
            case ReceivedSignal.Reaction reaction -> out.println("Reaction: " + reaction.emoji()
                    + (reaction.remove() ? " (removed)" : "") + " to the message of "
                    + EnvelopeJson.nameOf(client, reaction.targetAuthor()) + " sent at " + reaction.targetSentTimestamp());
            case ReceivedSignal.Edit edit -> out.println("Edit of the message sent at " + edit.targetSentTimestamp()
                    + edit.groupId().map(id -> " to the group " + id).orElse("") + ": " + edit.body());
            case ReceivedSignal.RemoteDelete delete -> out.println("Deleted for everyone: the message sent at "
                    + delete.targetSentTimestamp() + delete.groupId().map(id -> " to the group " + id).orElse(""));
            case ReceivedSignal.Call call -> out.println("Call " + call.step().callId() + ": " + switch (call.step()) {
                case CallStep.Offer offer -> offer.video() ? "video call offered" : "voice call offered";
                case CallStep.Answer answer -> "answered";
                case CallStep.Candidates candidates -> candidates.candidates().size() + " network candidate(s)";
                case CallStep.Hangup hangup -> "hung up (" + hangup.type().name().toLowerCase() + ")";
                case CallStep.Busy busy -> "busy";
            });
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
        message.quote().ifPresent(quote -> out.println("Quote: " + EnvelopeJson.nameOf(client, quote.author()) + " at " + quote.id()
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
