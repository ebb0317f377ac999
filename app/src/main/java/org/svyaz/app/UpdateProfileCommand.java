// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "updateProfile", mixinStandardHelpOptions = true,
        description = {"Set your profile name.",
                "It is encrypted with your profile key: the server stores only ciphertext, and only people you "
                        + "have written to can read it."})
final class UpdateProfileCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"--name", "--given-name"}, required = true, paramLabel = "NAME", description = "Your display name.")
    String name;

    @Override
    public Integer call() throws Exception {
        AccountCall.run(root, spec, "updateProfile", Output.object().put("name", name));
        spec.commandLine().getErr().println("Profile name updated.");
        return ExitCodes.OK;
    }
}
