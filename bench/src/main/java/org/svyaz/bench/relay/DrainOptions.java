// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;

/**
 * One run of the store-and-forward scenario (b), validated here once. Users 0 to
 * {@code recipients - 1} receive and stay offline while users {@code recipients} to
 * {@code recipients + senders - 1} send.
 *
 * @param recipients users that are offline while the messages are sent, then all log in and drain
 * @param senders users that send every message, spread evenly
 * @param messages messages in total
 * @param size bytes per message, at least {@link Payload#HEADER_BYTES}
 * @param window sends a sender may have unanswered at once
 * @param parallelLogins recipients logging in at the same time when the drain starts
 * @param drainTimeout how long the recipients get to receive everything before the rest counts lost
 * @param seed chooses the random recipients
 */
public record DrainOptions(int recipients, int senders, int messages, int size, int window, int parallelLogins,
                           @JsonIgnore Duration drainTimeout, long seed) {
    public DrainOptions {
        if (recipients < 1) {
            throw new IllegalArgumentException("--users must be at least 1");
        }
        OfflineSends.validate(senders, messages, 1, size, window);
        if (parallelLogins < 1) {
            throw new IllegalArgumentException("--parallel-logins must be at least 1");
        }
        if (drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("the drain timeout must be positive");
        }
    }

    /** Messages per user: none for recipients, the total spread evenly over the senders. */
    public int[] quotas() {
        return OfflineSends.quotas(recipients, senders, messages);
    }
}
