// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/** The daemon could not start listening; the message is one sentence for the person who started it. */
public final class DaemonStartException extends Exception {
    public DaemonStartException(String message) {
        super(message);
    }

    public DaemonStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
