// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** The server asks the client to slow down. */
public final class RateLimitedException extends ClientException {
    public RateLimitedException(String message) {
        super(message, null);
    }

    public RateLimitedException(String message, Throwable cause) {
        super(message, cause);
    }
}
