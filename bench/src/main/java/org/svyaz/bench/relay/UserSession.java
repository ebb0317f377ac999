// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.concurrent.CompletableFuture;

/** One logged-in user's connection to a {@link MessagingSystem}. */
public interface UserSession extends AutoCloseable {
    /**
     * Sends {@code blob} to user {@code recipient}. The future completes when the server has taken
     * responsibility for the message (its acknowledgement, in the system's own terms), or fails with
     * {@link SendRefusedException} when the server refused it or the connection broke first.
     */
    CompletableFuture<Void> send(int recipient, byte[] blob);

    /**
     * From now on reads nothing more from the server, while the connection stays open on both ends:
     * the server still holds it and sends into it, as after a mobile network silently stops
     * carrying packets. The reconnect storm (d) simulates the cut with it.
     *
     * @throws UnsupportedOperationException when the driver cannot
     */
    default void stopReading() {
        throw new UnsupportedOperationException("this driver cannot stop reading");
    }

    /** Whether the connection is still up. */
    boolean isOpen();

    /** Closes the connection; bounded in time, never throws. */
    @Override
    void close();
}
