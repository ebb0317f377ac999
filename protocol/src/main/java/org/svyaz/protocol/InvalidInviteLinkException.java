// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

/** An invite link that cannot be parsed, or whose descriptor signature does not verify. */
public final class InvalidInviteLinkException extends Exception {
    public InvalidInviteLinkException(String message) {
        super(message);
    }

    public InvalidInviteLinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
