// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.security.SecureRandom;
import java.time.Duration;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.protocol.wire.ErrorCode;

/**
 * Sends again, for a while, when the network or the server's storage failed: a node that died, a
 * database that restarts. A message sent twice this way keeps its timestamp, and recipients show a
 * sender's message with a given timestamp once, so a retry after a lost answer shows nothing twice.
 */
final class SendRetry {
    /** How long a send keeps trying before the error reaches the user. */
    static final Duration WINDOW = Duration.ofSeconds(30);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(250);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(4);
    private static final SecureRandom RANDOM = new SecureRandom();

    @FunctionalInterface
    interface Attempt<T> {
        T run() throws ClientException;
    }

    private SendRetry() {}

    static <T> T untilSent(Attempt<T> attempt) throws ClientException {
        long deadline = System.nanoTime() + WINDOW.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            try {
                return attempt.run();
            } catch (NetworkException | ServerRejectedException e) {
                if (!retryable(e) || System.nanoTime() + pause.toNanos() > deadline) {
                    throw e;
                }
            }
            try {
                // Jittered, so many clients cut off at once do not come back in step.
                Thread.sleep(pause.toMillis() / 2 + RANDOM.nextLong(pause.toMillis() / 2 + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NetworkException("Interrupted while sending.", e);
            }
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
        }
    }

    /** Failures that a later attempt may not see: the way to the server, or its storage. */
    static boolean retryable(ClientException e) {
        if (e instanceof NetworkException) {
            return true;
        }
        return e instanceof ServerRejectedException rejected
                && (rejected.code() == ErrorCode.UNAVAILABLE || rejected.code() == ErrorCode.INTERNAL);
    }
}
