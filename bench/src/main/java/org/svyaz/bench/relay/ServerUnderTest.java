// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import java.util.OptionalLong;
import org.svyaz.protocol.InviteLink;

/**
 * The server a run talks to: one node, or several nodes of one cluster.
 *
 * @param links one invite link per node, each naming its node first; user {@code i} logs in
 *              through link {@code i mod n}, so users spread evenly over the nodes
 * @param pids the node processes, when they run apart from the load tool: CPU and memory are read
 *             from /proc for each and added up. Empty for an in-process server or one on another
 *             machine, and then they are not measured (they would include the load tool's own).
 * @param description how it runs, for the report
 */
public record ServerUnderTest(List<InviteLink> links, List<Long> pids, String description) {
    public ServerUnderTest {
        if (links.isEmpty()) {
            throw new IllegalArgumentException("a server needs at least one invite link");
        }
        links = List.copyOf(links);
        pids = List.copyOf(pids);
    }

    /** One node. */
    public ServerUnderTest(InviteLink link, OptionalLong pid, String description) {
        this(List.of(link), pid.isPresent() ? List.of(pid.getAsLong()) : List.of(), description);
    }

    public static ServerUnderTest inProcess(InviteLink link) {
        return new ServerUnderTest(link, OptionalLong.empty(), "in-process (server CPU and memory not measured)");
    }

    /** The first node's link, for what any node can do (registration). */
    public InviteLink link() {
        return links.getFirst();
    }

    /** The node user {@code index} logs in to. */
    public InviteLink linkFor(int index) {
        return links.get(index % links.size());
    }
}
