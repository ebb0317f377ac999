// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

/**
 * @param maxMessageBytes largest ciphertext for one device; for a multi-recipient send, the largest
 *                        shared part (e_pub and message)
 * @param maxMailboxEntries undelivered messages a device may have before sends to it are refused
 * @param maxMultiRecipients recipient entries one multi-recipient send may name: a group of this many
 *                           members (the sender's own account, for its other devices, included)
 * @param maxFanOutBytes the most one multi-recipient send may expand to once split (received
 *                       message size times devices). The split envelopes are held in memory and
 *                       written in one transaction, so this bounds what one small request can cost
 */
public record MessageLimits(int maxMessageBytes, int maxMailboxEntries, int maxMultiRecipients, long maxFanOutBytes) {
    /** Signal's group size; groups must work at this size. */
    public static final int DEFAULT_MAX_MULTI_RECIPIENTS = 1000;
    /** 1,000 single-device members can get a 32 KiB message; 10 members the largest one. */
    public static final long DEFAULT_MAX_FAN_OUT_BYTES = 32L * 1024 * 1024;

    public MessageLimits {
        if (maxMessageBytes < 1024 || maxMailboxEntries < 1 || maxMultiRecipients < 1) {
            throw new IllegalArgumentException("message limits too small to be useful");
        }
        if (maxFanOutBytes < maxMessageBytes) {
            throw new IllegalArgumentException("a multi-recipient send must be able to carry one message of the largest size");
        }
    }

    /** The default multi-recipient limits with these single-message limits. */
    public MessageLimits(int maxMessageBytes, int maxMailboxEntries) {
        this(maxMessageBytes, maxMailboxEntries, DEFAULT_MAX_MULTI_RECIPIENTS,
                Math.max(DEFAULT_MAX_FAN_OUT_BYTES, maxMessageBytes));
    }
}
