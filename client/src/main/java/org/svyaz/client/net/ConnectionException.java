// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

/** The server could not be reached, or the connection broke. */
public final class ConnectionException extends Exception {
    private final boolean unauthorized;

    public ConnectionException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public ConnectionException(String message, Throwable cause, boolean unauthorized) {
        super(message, cause);
        this.unauthorized = unauthorized;
    }

    /** The server rejected the device's credentials (HTTP 401 at the upgrade). */
    public boolean unauthorized() {
        return unauthorized;
    }
}
