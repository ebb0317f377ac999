// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** Something the user typed or chose cannot work (a malformed username, a damaged link, no such account). */
public final class UserInputException extends ClientException {
    public UserInputException(String message) {
        super(message, null);
    }

    public UserInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
