// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** No account has that username on the server. */
public final class UnknownUserException extends ClientException {
    public UnknownUserException(String message) {
        super(message, null);
    }

    public UnknownUserException(String message, Throwable cause) {
        super(message, cause);
    }
}
