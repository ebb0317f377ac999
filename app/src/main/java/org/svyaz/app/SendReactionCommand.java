// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "sendReaction", mixinStandardHelpOptions = true,
        description = {"React with one emoji to a message of the conversation with a contact.",
                "A new reaction replaces your previous one on that message; -r withdraws it."})
final class SendReactionCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-e", "--emoji"}, required = true, paramLabel = "EMOJI", description = "Exactly one emoji, like 👍.")
    String emoji;

    @Option(names = {"-a", "--target-author"}, required = true, paramLabel = "USERNAME",
            description = "Who wrote the message: the contact or you.")
    String targetAuthor;

    @Option(names = {"-t", "--target-timestamp"}, required = true, paramLabel = "TIMESTAMP",
            description = "The message's sent timestamp.")
    long targetTimestamp;

    @Option(names = {"-r", "--remove"}, description = "Withdraw the reaction.")
    boolean remove;

    @Option(names = {"-g", "--group-id", "--group"}, paramLabel = "GROUP_ID",
            description = "React to a message of this group (its id as listGroups shows it) instead.")
    String groupId;

    @Parameters(arity = "0..1", paramLabel = "USERNAME", description = "The contact, like alice.42.")
    String recipient;

    @Override
    public Integer call() throws Exception {
        if ((groupId == null) == (recipient == null)) {
            throw new CommandLineException("Name either the contact (USERNAME) or a group (-g GROUP_ID).");
        }
        ObjectNode params = Output.object().put("emoji", emoji)
                .put("targetAuthor", targetAuthor).put("targetTimestamp", targetTimestamp).put("remove", remove);
        if (groupId != null) {
            params.put("groupId", groupId);
        } else {
            params.put("recipient", recipient);
        }
        Output.sent(root, spec, AccountCall.run(root, spec, "sendReaction", params));
        return ExitCodes.OK;
    }
}
