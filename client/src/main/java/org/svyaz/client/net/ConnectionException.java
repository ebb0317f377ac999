// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

/** The server could not be reached, or the connection broke. */
public final class ConnectionException extends Exception {
    private final boolean unauthorized;
    private final boolean requestNotSent;

    public ConnectionException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public ConnectionException(String message, Throwable cause, boolean unauthorized) {
        this(message, cause, unauthorized, false);
    }

    public ConnectionException(String message, Throwable cause, boolean unauthorized, boolean requestNotSent) {
        super(message, cause);
        this.unauthorized = unauthorized;
        this.requestNotSent = requestNotSent;
    }

    /** The request never left this machine (the connection was already gone), so it is safe to retry. */
    public boolean requestNotSent() {
        return requestNotSent;
    }

    /** The server rejected the device's credentials (HTTP 401 at the upgrade). */
    public boolean unauthorized() {
        return unauthorized;
    }
}
