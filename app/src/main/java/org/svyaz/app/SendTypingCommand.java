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
        description = "Tell a contact or a group that you started (or, with --stop, stopped) typing.")
final class SendTypingCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-s", "--stop"}, description = "Typing stopped.")
    boolean stop;

    @Option(names = {"-g", "--group-id", "--group"}, paramLabel = "GROUP_ID",
            description = "Tell this group's members instead (its id as listGroups shows it).")
    String groupId;

    @Parameters(arity = "0..1", paramLabel = "USERNAME", description = "The contact, like alice.42.")
    String recipient;

    @Override
    public Integer call() throws Exception {
        if ((groupId == null) == (recipient == null)) {
            throw new CommandLineException("Name either the contact (USERNAME) or a group (-g GROUP_ID).");
        }
        ObjectNode params = Output.object().put("stop", stop);
        if (groupId != null) {
            params.put("groupId", groupId);
        } else {
            params.put("recipient", recipient);
        }
        Output.sent(root, spec, AccountCall.run(root, spec, "sendTyping", params));
        return ExitCodes.OK;
    }
}
