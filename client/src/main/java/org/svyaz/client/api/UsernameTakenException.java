// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** Every candidate for the chosen username is taken. */
public final class UsernameTakenException extends ClientException {
    public UsernameTakenException(String message) {
        super(message, null);
    }

    public UsernameTakenException(String message, Throwable cause) {
        super(message, cause);
    }
}
