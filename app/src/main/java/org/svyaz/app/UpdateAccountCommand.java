// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.time.Clock;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "updateAccount", mixinStandardHelpOptions = true,
        description = "Change account settings stored on the server.")
final class UpdateAccountCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--unrestricted-sealed-sender", paramLabel = "true|false", required = true, arity = "1",
            description = "Accept sealed (sender-anonymous) messages from anyone, not only from contacts who hold "
                    + "your profile key.")
    boolean unrestricted;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.setUnrestrictedSealedSender(unrestricted);
            spec.commandLine().getErr().println(unrestricted
                    ? "Anyone may now send you sealed messages."
                    : "Only contacts holding your profile key may send you sealed messages.");
        }
        return ExitCodes.OK;
    }
}
