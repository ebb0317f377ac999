// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/**
 * A group operation this account may not do: the group is unknown here, the account is no longer
 * a member, or the change needs an admin.
 */
public final class GroupAccessException extends ClientException {
    public GroupAccessException(String message) {
        super(message, null);
    }
}
