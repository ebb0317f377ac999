// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.time.Clock;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.SendResult;
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
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            SendResult result = client.remoteDelete(recipient, targetTimestamp);
            Output.sent(root, spec.commandLine().getOut(), result.timestamp(), result.route());
        }
        return ExitCodes.OK;
    }
}
