// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "trust", mixinStandardHelpOptions = true,
        description = {"Trust a contact's identity key.",
                "-v marks it verified after you compared safety numbers; -a accepts a changed key without verifying."})
final class TrustCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = {"-v", "--verified-safety-number"}, paramLabel = "SAFETY_NUMBER",
                description = "The safety number you compared (spaces allowed).")
        String safetyNumber;

        @Option(names = {"-a", "--trust-all-known-keys"}, description = "Accept the contact's current key.")
        boolean acceptAll;
    }

    @Parameters(arity = "1", paramLabel = "USERNAME", description = "The contact, like alice.42.")
    String username;

    @Override
    public Integer call() throws Exception {
        ObjectNode params = Output.object().put("recipient", username);
        if (mode.safetyNumber != null) {
            AccountCall.run(root, spec, "trust", params.put("verifiedSafetyNumber", mode.safetyNumber));
            spec.commandLine().getErr().println("Verified the safety number with " + username + ".");
        } else {
            AccountCall.run(root, spec, "trust", params.put("trustAllKnownKeys", true));
            spec.commandLine().getErr().println("Accepted the current key of " + username + ".");
        }
        return ExitCodes.OK;
    }
}
