// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "updateContact", mixinStandardHelpOptions = true,
        description = {"Change the conversation with a contact.",
                "-e sets disappearing messages: both sides delete each message this many seconds after it was read."})
final class UpdateContactCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-e", "--expiration"}, required = true, paramLabel = "SECONDS",
            description = "Disappearing-message timer in seconds; 0 turns it off.")
    int expiration;

    @Parameters(arity = "1", paramLabel = "USERNAME", description = "The contact, like alice.42.")
    String username;

    @Override
    public Integer call() throws Exception {
        AccountCall.run(root, spec, "updateContact", Output.object().put("recipient", username)
                .put("expiration", expiration));
        spec.commandLine().getErr().println(expiration == 0
                ? "Disappearing messages are off for " + username + "."
                : "Messages with " + username + " now disappear " + expiration + " s after they are read.");
        return ExitCodes.OK;
    }
}
