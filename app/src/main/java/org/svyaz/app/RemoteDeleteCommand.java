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
                "The recipient's copy is overwritten when their device receives this; yours now."})
final class RemoteDeleteCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--target-timestamp"}, required = true, paramLabel = "TIMESTAMP",
            description = "The sent timestamp of your message, as send printed it.")
    long targetTimestamp;

    @Parameters(arity = "1", paramLabel = "USERNAME", description = "The recipient of that message, like alice.42.")
    String recipient;

    @Override
    public Integer call() throws Exception {
        ObjectNode params = Output.object().put("recipient", recipient).put("targetTimestamp", targetTimestamp);
        Output.sent(root, spec, AccountCall.run(root, spec, "remoteDelete", params));
        return ExitCodes.OK;
    }
}
