// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
        ObjectNode params = Output.object();
        if (groupId != null) {
            params.put("groupId", groupId);
        }
        if (name != null) {
            params.put("name", name);
        }
        add.forEach(params.putArray("member")::add);
        remove.forEach(params.putArray("removeMember")::add);
        admins.forEach(params.putArray("admin")::add);
        revokeAdmins.forEach(params.putArray("removeAdmin")::add);
        JsonNode result = AccountCall.run(root, spec, "updateGroup", params);
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(spec.commandLine().getOut(), result);
        } else {
            spec.commandLine().getOut().println(result.get("groupId").asText());
        }
        return ExitCodes.OK;
    }
}
