// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.ARRAY;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
import static org.svyaz.app.rpc.RpcParam.required;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.GroupDetails;

/** Groups: create or change one, leave one, list them. Their state lives on the devices only. */
public final class GroupMethods {
    private GroupMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("updateGroup", "Create a group (without groupId) or change one you administer.",
                        List.of(optional("groupId", STRING, "The group to change; absent: create one."),
                                optional("name", STRING, "The group's name (at most 64 characters)."),
                                optional("member", ARRAY, "Members to add (usernames)."),
                                optional("members", ARRAY, "The same as member."),
                                optional("removeMember", ARRAY, "Members to remove."),
                                optional("admin", ARRAY, "Members to make admins."),
                                optional("removeAdmin", ARRAY, "Admins to make ordinary members.")),
                        GroupMethods::updateGroup),
                AccountMethod.of("quitGroup", "Leave a group; the others start new keys.",
                        List.of(required("groupId", STRING, "The group to leave.")),
                        (client, call) -> {
                            client.quitGroup(call.string("groupId"));
                            return JsonNodeFactory.instance.objectNode();
                        }),
                AccountMethod.of("listGroups", "The groups this account is or was in, with members and admins.",
                        List.of(), (client, call) -> listGroups(client)));
    }

    private static JsonNode updateGroup(SvyazClient client, RpcCall call) throws Exception {
        Optional<String> groupId = call.optionalString("groupId");
        Optional<String> name = call.optionalString("name");
        List<String> add = new ArrayList<>(call.stringList("member"));
        add.addAll(call.stringList("members"));
        List<String> remove = call.stringList("removeMember");
        List<String> admins = call.stringList("admin");
        List<String> revokeAdmins = call.stringList("removeAdmin");
        String id;
        if (groupId.isEmpty()) {
            if (!remove.isEmpty() || !admins.isEmpty() || !revokeAdmins.isEmpty()) {
                throw RpcException.invalidParams("'removeMember', 'admin' and 'removeAdmin' change an existing "
                        + "group: add 'groupId'");
            }
            id = client.createGroup(name.orElseThrow(() ->
                    RpcException.invalidParams("a new group needs parameter 'name'")), add);
        } else {
            client.updateGroup(groupId.get(), name, add, remove, admins, revokeAdmins);
            id = groupId.get();
        }
        return JsonNodeFactory.instance.objectNode().put("groupId", id);
    }

    private static JsonNode listGroups(SvyazClient client) {
        ArrayNode groups = JsonNodeFactory.instance.arrayNode();
        for (GroupDetails group : client.listGroups()) {
            ObjectNode node = groups.addObject();
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
        }
        return groups;
    }
}
