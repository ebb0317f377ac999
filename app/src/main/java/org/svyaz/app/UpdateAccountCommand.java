// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    @Option(names = "--unrestricted-sealed-sender", paramLabel = "true|false", arity = "1",
            description = "Accept sealed (sender-anonymous) messages from anyone, not only from contacts who hold "
                    + "your profile key.")
    Boolean unrestricted;

    @Option(names = "--relays-only", paramLabel = "true|false", arity = "1",
            description = "Reach the server only through relays: no DNS lookup of its name and no packet to its "
                    + "addresses, so an observer of this device sees only ordinary-looking web sites.")
    Boolean relaysOnly;

    @Override
    public Integer call() throws Exception {
        if (unrestricted == null && relaysOnly == null) {
            throw new CommandLineException("Nothing to change: give --unrestricted-sealed-sender or --relays-only.");
        }
        ObjectNode params = Output.object();
        if (unrestricted != null) {
            params.put("unrestrictedSealedSender", unrestricted);
        }
        if (relaysOnly != null) {
            params.put("relaysOnly", relaysOnly);
        }
        AccountCall.run(root, spec, "updateAccount", params);
        if (unrestricted != null) {
            spec.commandLine().getErr().println(unrestricted
                    ? "Anyone may now send you sealed messages."
                    : "Only contacts holding your profile key may send you sealed messages.");
        }
        if (relaysOnly != null) {
            spec.commandLine().getErr().println(relaysOnly
                    ? "From now on the server is reached only through relays."
                    : "Direct routes to the server are allowed again.");
        }
        return ExitCodes.OK;
    }
}
