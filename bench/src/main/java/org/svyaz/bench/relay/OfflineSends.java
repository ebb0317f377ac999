// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

/**
 * What store-and-forward (b) and the reconnect storm (d) share: users {@code 0} to
 * {@code receivers - 1} receive nothing while a few senders, the users after them, send every
 * message to them.
 */
final class OfflineSends {
    private OfflineSends() {}

    /** Checks the senders' part of the options; the messages say which option is wrong. */
    static void validate(int senders, int messages, int fewestMessages, int size, int window) {
        if (senders < 1) {
            throw new IllegalArgumentException("--senders must be at least 1");
        }
        if (messages < fewestMessages) {
            throw new IllegalArgumentException("--messages must be at least " + fewestMessages);
        }
        if (size < Payload.HEADER_BYTES || size > RelayOptions.MAX_SIZE) {
            throw new IllegalArgumentException("--size must be between " + Payload.HEADER_BYTES + " (the benchmark "
                    + "header) and " + RelayOptions.MAX_SIZE + " bytes");
        }
        if (window < 1) {
            throw new IllegalArgumentException("--window must be at least 1");
        }
    }

    /** Messages per user: none for the receivers, the total spread evenly over the senders. */
    static int[] quotas(int receivers, int senders, int messages) {
        int[] quotas = new int[receivers + senders];
        for (int i = 0; i < senders; i++) {
            quotas[receivers + i] = messages / senders + (i < messages % senders ? 1 : 0);
        }
        return quotas;
    }
}
