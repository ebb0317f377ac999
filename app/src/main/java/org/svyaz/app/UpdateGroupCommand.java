// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "updateGroup", mixinStandardHelpOptions = true,
        description = {"Create a group, or change one you administer.",
                "Without -g: creates a group named -n with the members -m, you as its admin, and prints its id.",
                "With -g: renames (-n), adds (-m), removes (-r) members or grants (--admin) and revokes "
                        + "(--remove-admin) admin rights. Only admins may change a group.",
                "Every member learns the change end-to-end encrypted; the server keeps no group state."})
final class UpdateGroupCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-g", "--group-id"}, paramLabel = "GROUP_ID", description = "The group to change.")
    String groupId;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "The group's name (at most 64 characters).")
    String name;

    @Option(names = {"-m", "--member"}, arity = "1..*", paramLabel = "USERNAME", description = "Members to add.")
    List<String> add = new ArrayList<>();

    @Option(names = {"-r", "--remove-member"}, arity = "1..*", paramLabel = "USERNAME",
            description = "Members to remove; they cannot read the group's later messages.")
    List<String> remove = new ArrayList<>();

    @Option(names = "--admin", arity = "1..*", paramLabel = "USERNAME", description = "Members to make admins.")
    List<String> admins = new ArrayList<>();

    @Option(names = "--remove-admin", arity = "1..*", paramLabel = "USERNAME",
            description = "Admins to make ordinary members.")
    List<String> revokeAdmins = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            String id;
            if (groupId == null) {
                if (!remove.isEmpty() || !admins.isEmpty() || !revokeAdmins.isEmpty()) {
                    throw new CommandLineException("-r, --admin and --remove-admin change an existing group: add -g GROUP_ID.");
                }
                if (name == null) {
                    throw new CommandLineException("A new group needs a name: -n NAME.");
                }
                id = client.createGroup(name, add);
            } else {
                client.updateGroup(groupId, Optional.ofNullable(name), add, remove, admins, revokeAdmins);
                id = groupId;
            }
            if (root.output == SvyazCommand.OutputFormat.JSON) {
                ObjectNode result = Output.object();
                result.put("groupId", id);
                Output.json(spec.commandLine().getOut(), result);
            } else {
                spec.commandLine().getOut().println(id);
            }
        }
        return ExitCodes.OK;
    }
}
