// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** The server could not be reached, or the connection broke, or it rejected our credentials. */
public final class NetworkException extends ClientException {
    public NetworkException(String message) {
        super(message, null);
    }

    public NetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
