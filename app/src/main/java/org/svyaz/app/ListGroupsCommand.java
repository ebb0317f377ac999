// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "listGroups", mixinStandardHelpOptions = true,
        description = {"Show the groups you are or were in, with their members and admins.",
                "Works offline: groups are kept on this device only."})
final class ListGroupsCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        JsonNode groups = AccountCall.run(root, spec, "listGroups", Output.object());
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(spec.commandLine().getOut(), groups);
            return ExitCodes.OK;
        }
        for (JsonNode group : groups) {
            List<String> members = new ArrayList<>();
            Set<String> admins = new HashSet<>();
            group.get("admins").forEach(admin -> admins.add(admin.get("uuid").asText()));
            group.get("members").forEach(member -> members.add(member.get("username").asText()
                    + (admins.contains(member.get("uuid").asText()) ? " (admin)" : "")));
            spec.commandLine().getOut().println("Id: " + group.get("id").asText() + " Name: " + group.get("name").asText()
                    + " Active: " + group.get("isMember").asBoolean() + " Members: " + String.join(", ", members));
        }
        return ExitCodes.OK;
    }
}
