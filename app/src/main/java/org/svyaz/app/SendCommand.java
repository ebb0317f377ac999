// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    @Option(names = "--voice-note", description = "The attachments are voice notes: recordings the app plays "
            + "in the conversation rather than files to open.")
    boolean voiceNote;

    @Option(names = {"-g", "--group-id", "--group"}, paramLabel = "GROUP_ID",
            description = "Send to this group (its id as listGroups shows it) instead of to users.")
    String groupId;

    @Option(names = "--quote-timestamp", paramLabel = "TIMESTAMP",
            description = "Reply to the message of this conversation sent at TIMESTAMP (it is quoted).")
    Long quoteTimestamp;

    @Option(names = "--quote-author", paramLabel = "USERNAME",
            description = "The quoted message's author (default: found in the conversation by its timestamp; "
                    + "in a group, your own message).")
    String quoteAuthor;

    @Option(names = "--edit-timestamp", paramLabel = "TIMESTAMP",
            description = "Replace the text of your message sent at TIMESTAMP with -m, for the recipient too.")
    Long editTimestamp;

    @Parameters(arity = "0..*", paramLabel = "USERNAME", description = "Recipients, like alice.42.")
    List<String> recipients = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if ((groupId == null) == recipients.isEmpty()) {
            throw new CommandLineException("Name either recipients (USERNAME...) or a group (-g GROUP_ID).");
        }
        ObjectNode params = Output.object();
        params.put("message", message);
        recipients.forEach(params.putArray("recipient")::add);
        if (groupId != null) {
            params.put("groupId", groupId);
        }
        // Absolute: a daemon that sends them does not share this command's working directory.
        attachments.forEach(file -> params.withArray("attachments").add(file.toAbsolutePath().toString()));
        if (voiceNote) {
            if (attachments.isEmpty()) {
                throw new CommandLineException("--voice-note marks attachments: add the recording with -a FILE.");
            }
            params.put("voiceNote", true);
        }
        if (quoteTimestamp != null) {
            params.put("quoteTimestamp", quoteTimestamp);
        }
        if (quoteAuthor != null) {
            params.put("quoteAuthor", quoteAuthor);
        }
        if (editTimestamp != null) {
            params.put("editTimestamp", editTimestamp);
        }
        Output.sent(root, spec, AccountCall.run(root, spec, "send", params));
        return ExitCodes.OK;
    }
}
