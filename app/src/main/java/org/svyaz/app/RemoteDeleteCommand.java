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

@Command(name = "remoteDelete", mixinStandardHelpOptions = true,
        description = {"Delete a message you sent, for everyone.",
                "The recipient's copy is overwritten when their device receives this; yours now.",
                "With -g, a message you sent to a group: every member's copy."})
final class RemoteDeleteCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--target-timestamp"}, required = true, paramLabel = "TIMESTAMP",
            description = "The sent timestamp of your message, as send printed it.")
    long targetTimestamp;

    @Option(names = {"-g", "--group-id", "--group"}, paramLabel = "GROUP_ID",
            description = "Delete your message to this group (its id as listGroups shows it) instead.")
    String groupId;

    @Parameters(arity = "0..1", paramLabel = "USERNAME", description = "The recipient of that message, like alice.42.")
    String recipient;

    @Override
    public Integer call() throws Exception {
        if ((groupId == null) == (recipient == null)) {
            throw new CommandLineException("Name either the recipient (USERNAME) or a group (-g GROUP_ID).");
        }
        ObjectNode params = Output.object().put("targetTimestamp", targetTimestamp);
        if (groupId != null) {
            params.put("groupId", groupId);
        } else {
            params.put("recipient", recipient);
        }
        Output.sent(root, spec, AccountCall.run(root, spec, "remoteDelete", params));
        return ExitCodes.OK;
    }
}
