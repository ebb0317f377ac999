// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench;

/**
 * A benchmark could not be set up or run to the end: the server could not be started or reached,
 * or refused the users. The message is a sentence for the person at the terminal; it never names
 * users, keys or addresses beyond the server's own loopback endpoint.
 */
public final class BenchException extends Exception {
    public BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
