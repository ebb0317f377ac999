// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.GroupDetails;
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
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            for (GroupDetails group : client.listGroups()) {
                if (root.output == SvyazCommand.OutputFormat.JSON) {
                    ObjectNode node = Output.object();
                    node.put("id", group.id());
                    node.put("name", group.title());
                    node.put("revision", group.revision());
                    node.put("isMember", group.member());
                    node.put("isAdmin", group.admin());
                    ArrayNode members = node.putArray("members");
                    ArrayNode admins = node.putArray("admins");
                    for (GroupDetails.Member member : group.members()) {
                        ObjectNode m = members.addObject().put("username", member.username())
                                .put("uuid", member.accountId().toString());
                        if (member.admin()) {
                            admins.add(m.deepCopy());
                        }
                    }
                    Output.json(spec.commandLine().getOut(), node);
                } else {
                    spec.commandLine().getOut().println("Id: " + group.id() + " Name: " + group.title()
                            + " Active: " + group.member() + " Members: " + group.members().stream()
                            .map(m -> m.username() + (m.admin() ? " (admin)" : "")).collect(Collectors.joining(", ")));
                }
            }
        }
        return ExitCodes.OK;
    }
}
