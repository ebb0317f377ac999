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

    /** Whether the connection is still up. */
    boolean isOpen();

    /** Closes the connection; bounded in time, never throws. */
    @Override
    void close();
}
