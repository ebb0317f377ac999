// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;
import java.util.UUID;

/**
 * A group as this device knows it.
 *
 * @param id base64, as commands take it
 * @param member whether this account is still in the group (false after leaving or removal)
 * @param admin whether this account may change the group
 */
public record GroupDetails(String id, String title, int revision, List<Member> members, boolean member, boolean admin) {
    public GroupDetails {
        members = List.copyOf(members);
    }

    /** @param username as the admin who added the member named them */
    public record Member(UUID accountId, String username, boolean admin) {}
}
