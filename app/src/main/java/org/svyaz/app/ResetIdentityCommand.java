// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "resetIdentity", mixinStandardHelpOptions = true,
        description = {"Replace this account's identity key with a new one.",
                "Every contact sees a changed safety number and has to accept it before writing to you again. "
                        + "Use it if you fear your key leaked."})
final class ResetIdentityCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--yes", description = "Confirm: contacts will be warned that your key changed.")
    boolean confirmed;

    @Override
    public Integer call() throws Exception {
        if (!confirmed) {
            throw new CommandLineException("This changes your safety number with every contact; run again with --yes.");
        }
        AccountCall.run(root, spec, "resetIdentity", Output.object().put("yes", true));
        spec.commandLine().getErr().println("New identity key for " + root.accountDir().getFileName()
                + ". Tell your contacts to compare the new safety number.");
        return ExitCodes.OK;
    }
}
