// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;

/**
 * One run of the online-relay scenario, validated here once.
 *
 * @param users how many registered users log in and send
 * @param messages messages in total, spread evenly over the users (the first {@code messages % users}
 *                 users send one more)
 * @param size bytes per message, at least {@link Payload#HEADER_BYTES}
 * @param window sends a user may have unanswered by the server at once
 * @param drainTimeout after the last send is answered, how long to wait for the rest to arrive
 *                     before counting it lost
 * @param seed chooses the random recipients, so a run's traffic pattern can be repeated
 * @param rate messages per second in all, on a fixed schedule spread evenly over the users (open
 *             loop), so systems can be compared at the same offered load; 0 sends as fast as the
 *             window allows (closed loop)
 */
public record RelayOptions(int users, int messages, int size, int window, Duration drainTimeout, long seed,
                           double rate) {
    /** The server's default largest message (MessageLimits); larger sends would be refused. */
    public static final int MAX_SIZE = 256 * 1024;

    public RelayOptions {
        if (users < 2) {
            throw new IllegalArgumentException("--users must be at least 2: every message goes to another user");
        }
        if (messages < 1) {
            throw new IllegalArgumentException("--messages must be at least 1");
        }
        if (size < Payload.HEADER_BYTES || size > MAX_SIZE) {
            throw new IllegalArgumentException("--size must be between " + Payload.HEADER_BYTES + " (the benchmark "
                    + "header) and " + MAX_SIZE + " bytes");
        }
        if (window < 1) {
            throw new IllegalArgumentException("--window must be at least 1");
        }
        if (drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("the drain timeout must be positive");
        }
        if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("--rate must be a positive number of messages per second, or 0 for as "
                    + "fast as the window allows");
        }
    }

    /** A closed-loop run: as fast as the window allows. */
    public RelayOptions(int users, int messages, int size, int window, Duration drainTimeout, long seed) {
        this(users, messages, size, window, drainTimeout, seed, 0);
    }

    /** Nanoseconds between one user's sends on the open-loop schedule; 0 in a closed-loop run. */
    public long sendIntervalNanos() {
        return rate == 0 ? 0 : Math.max(1, Math.round(users * 1e9 / rate));
    }

    /** How many messages each user sends. */
    public int[] quotas() {
        int[] quotas = new int[users];
        for (int i = 0; i < users; i++) {
            quotas[i] = messages / users + (i < messages % users ? 1 : 0);
        }
        return quotas;
    }
}
