// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;

/**
 * One run of the reconnect-storm scenario (d), validated here once. Users 0 to {@code devices - 1}
 * are the devices that lose the network and come back; users {@code devices} on send to them.
 *
 * @param devices devices online before the cut, each a user's only device
 * @param senders users that send every message while the devices are cut off
 * @param messages messages in total, to random devices, waiting when the storm starts
 * @param size bytes per message, at least {@link Payload#HEADER_BYTES}
 * @param window sends a sender may have unanswered at once
 * @param parallelLogins devices reconnecting at the same time; {@code devices} means all at once
 * @param timeout how long the storm may take, retries included, before the rest counts failed or lost
 * @param seed chooses the random recipients and the back-off jitter
 */
public record StormOptions(int devices, int senders, int messages, int size, int window, int parallelLogins,
                           @JsonIgnore Duration timeout, long seed) {
    public StormOptions {
        if (devices < 1) {
            throw new IllegalArgumentException("--devices must be at least 1");
        }
        OfflineSends.validate(senders, messages, 0, size, window);
        if (parallelLogins < 1) {
            throw new IllegalArgumentException("--parallel-logins must be at least 1");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--timeout must be positive");
        }
    }

    /** Messages per user: none for devices, the total spread evenly over the senders. */
    public int[] quotas() {
        return OfflineSends.quotas(devices, senders, messages);
    }

    public long timeoutSeconds() {
        return timeout.toSeconds();
    }
}
