// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.SendResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send a message to one or more users.",
                "Exits 0 only once the server has stored the message for every recipient; prints its timestamp.",
                "With -g, the message goes to every member of a group in one request."})
final class SendCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "TEXT", description = "The message text.")
    String message;

    @Option(names = {"-a", "--attachment"}, paramLabel = "FILE",
            description = "A file to send with the message (encrypted on this device first); repeatable.")
    List<Path> attachments = new ArrayList<>();

    @Option(names = {"-g", "--group-id", "--group"}, paramLabel = "GROUP_ID",
            description = "Send to this group (its id as listGroups shows it) instead of to users.")
    String groupId;

    @Option(names = "--quote-timestamp", paramLabel = "TIMESTAMP",
            description = "Reply to the message of this conversation sent at TIMESTAMP (it is quoted).")
    Long quoteTimestamp;

    @Option(names = "--quote-author", paramLabel = "USERNAME",
            description = "The quoted message's author (default: found in the conversation by its timestamp).")
    String quoteAuthor;

    @Option(names = "--edit-timestamp", paramLabel = "TIMESTAMP",
            description = "Replace the text of your message sent at TIMESTAMP with -m, for the recipient too.")
    Long editTimestamp;

    @Parameters(arity = "0..*", paramLabel = "USERNAME", description = "Recipients, like alice.42.")
    List<String> recipients = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.onTransferProgress(new TerminalProgress(spec.commandLine().getErr(), System.console() != null));
            if ((groupId == null) == recipients.isEmpty()) {
                throw new CommandLineException("Name either recipients (USERNAME...) or a group (-g GROUP_ID).");
            }
            if (quoteAuthor != null && quoteTimestamp == null) {
                throw new CommandLineException("--quote-author goes with --quote-timestamp.");
            }
            if (editTimestamp != null && (!attachments.isEmpty() || quoteTimestamp != null)) {
                throw new CommandLineException("An edit changes only the text: -a and --quote-timestamp do not go with "
                        + "--edit-timestamp.");
            }
            Optional<QuoteTarget> quote = quoteTimestamp == null ? Optional.empty()
                    : Optional.of(new QuoteTarget(quoteTimestamp, Optional.ofNullable(quoteAuthor)));
            long timestamp = 0;
            String route = "";
            if (groupId != null && (quote.isPresent() || editTimestamp != null)) {
                throw new CommandLineException("Quotes and edits work in one-to-one conversations only, not yet with -g.");
            }
            if (groupId != null) {
                SendResult result = client.sendToGroup(groupId, message, attachments);
                timestamp = result.timestamp();
                route = result.route();
                if (!result.sealed()) {
                    spec.commandLine().getErr().println("Note: the server saw who sent this group message, because "
                            + "some members have not written to you yet.");
                }
            }
            for (String recipient : recipients) {
                SendResult result = editTimestamp != null
                        ? client.editMessage(recipient, editTimestamp, message)
                        : client.send(recipient, message, attachments, quote);
                timestamp = result.timestamp();
                route = result.route();
                if (!result.sealed()) {
                    spec.commandLine().getErr().println("Note: sent to " + recipient + " without sealed sender (the "
                            + "server saw who sent it), because " + recipient + " has not written to you yet.");
                }
            }
            Output.sent(root, spec.commandLine().getOut(), timestamp, route);
        }
        return ExitCodes.OK;
    }
}
