// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** The local database or disk failed; nothing was lost on the server. */
public final class LocalFailureException extends ClientException {
    public LocalFailureException(String message) {
        super(message, null);
    }

    public LocalFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
