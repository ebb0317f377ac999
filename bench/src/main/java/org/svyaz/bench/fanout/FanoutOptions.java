// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.time.Duration;
import org.svyaz.bench.relay.Payload;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.client.groups.GroupRules;

/**
 * One run of the group fan-out scenario, validated here once.
 *
 * @param members users in the group, the senders included; every message goes to all members but its sender
 * @param senders how many of the members send (members 0 to senders - 1); message i is sent by member
 *                {@code i mod senders}
 * @param messages group messages in total
 * @param size plaintext bytes per message (before libsignal's encryption), at least {@link Payload#HEADER_BYTES}
 * @param window sends a sender may have unanswered by the server at once
 * @param drainTimeout after the last send is answered, how long to wait for the rest of the copies to
 *                     arrive before counting them lost
 * @param seed fills the plaintexts, so a run's bytes can be repeated
 */
public record FanoutOptions(int members, int senders, int messages, int size, int window, Duration drainTimeout,
                            long seed) {
    public FanoutOptions {
        if (members < 2 || members > GroupRules.MAX_MEMBERS) {
            throw new IllegalArgumentException("--members must be between 2 and " + GroupRules.MAX_MEMBERS
                    + " (the largest group a client makes)");
        }
        if (senders < 1 || senders > members) {
            throw new IllegalArgumentException("--senders must be between 1 and the number of members");
        }
        if (messages < 1) {
            throw new IllegalArgumentException("--messages must be at least 1");
        }
        if (size < Payload.HEADER_BYTES || size > RelayOptions.MAX_SIZE) {
            throw new IllegalArgumentException("--size must be between " + Payload.HEADER_BYTES + " (the benchmark "
                    + "header) and " + RelayOptions.MAX_SIZE + " bytes");
        }
        if (window < 1) {
            throw new IllegalArgumentException("--window must be at least 1");
        }
        if (drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("the drain timeout must be positive");
        }
    }

    /** Which member sends message {@code message}. */
    public int senderOf(int message) {
        return message % senders;
    }

    /** {@code result[i]} is the member that sends message i. */
    public int[] messageSenders() {
        int[] result = new int[messages];
        for (int i = 0; i < messages; i++) {
            result[i] = senderOf(i);
        }
        return result;
    }
}
