// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.svyaz.bench.BenchException;

/** The bounded waits at the end of a run, shared by the scenarios' receiving sides. */
public final class Waits {
    private static final Duration POLL = Duration.ofMillis(10);
    /**
     * Once everything has arrived, a run listens on until no message came for this long, so that a
     * duplicate pushed right behind the last message is still counted.
     */
    private static final Duration QUIET = Duration.ofMillis(500);
    /** The quiet wait's own bound, for a server that keeps pushing. */
    private static final Duration QUIET_LIMIT = Duration.ofSeconds(10);

    private Waits() {}

    /** Waits until {@code done} holds, at most {@code timeout}; true when it came to hold. */
    public static boolean until(BooleanSupplier done, Duration timeout) throws BenchException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(POLL.toMillis());
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for deliveries.", e);
        }
    }

    /**
     * Waits until no message has come for {@link #QUIET}, at most {@link #QUIET_LIMIT};
     * {@code lastPushNanos} is the {@link System#nanoTime()} of the latest push.
     */
    public static void quiet(LongSupplier lastPushNanos) throws BenchException {
        long limit = System.nanoTime() + QUIET_LIMIT.toNanos();
        try {
            while (System.nanoTime() - lastPushNanos.getAsLong() < QUIET.toNanos() && System.nanoTime() < limit) {
                Thread.sleep(POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for late duplicates.", e);
        }
    }
}
