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
        ObjectNode params = Output.object().put("recipient", recipient).put("stop", stop);
        Output.sent(root, spec, AccountCall.run(root, spec, "sendTyping", params));
        return ExitCodes.OK;
    }
}
