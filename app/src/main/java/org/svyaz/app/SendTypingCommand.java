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

@Command(name = "sendTyping", mixinStandardHelpOptions = true,
        description = "Tell a contact that you started (or, with --stop, stopped) typing.")
final class SendTypingCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--stop"}, description = "Typing stopped.")
    boolean stop;

    @Parameters(arity = "1", paramLabel = "USERNAME", description = "The contact, like alice.42.")
    String recipient;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            SendResult result = client.sendTyping(recipient, stop);
            Output.sent(root, spec.commandLine().getOut(), result.timestamp(), result.route());
        }
        return ExitCodes.OK;
    }
}
