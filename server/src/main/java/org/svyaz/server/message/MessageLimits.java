// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

/**
 * @param maxMessageBytes largest ciphertext for one device; for a multi-recipient send, the largest
 *                        shared part (e_pub and message)
 * @param maxMailboxEntries undelivered messages a device may have before sends to it are refused
 * @param maxStrangerEntries how many of those may come from strangers (sent without the recipient's
 *                           access key, so from people it has not written to); the rest of the
 *                           mailbox stays open to its contacts when strangers flood it
 * @param maxMultiRecipients recipient entries one multi-recipient send may name: a group of this many
 *                           members (the sender's own account, for its other devices, included)
 * @param maxFanOutBytes the most one multi-recipient send may expand to once split (received
 *                       message size times devices). The split envelopes are held in memory and
 *                       written in one transaction, so this bounds what one small request can cost
 */
public record MessageLimits(int maxMessageBytes, int maxMailboxEntries, int maxStrangerEntries, int maxMultiRecipients,
                            long maxFanOutBytes) {
    /** Signal's group size; groups must work at this size. */
    public static final int DEFAULT_MAX_MULTI_RECIPIENTS = 1000;
    /** 1,000 single-device members can get a 32 KiB message; 10 members the largest one. */
    public static final long DEFAULT_MAX_FAN_OUT_BYTES = 32L * 1024 * 1024;

    public MessageLimits {
        if (maxMessageBytes < 1024 || maxMailboxEntries < 1 || maxMultiRecipients < 1) {
            throw new IllegalArgumentException("message limits too small to be useful");
        }
        if (maxStrangerEntries < 1 || maxStrangerEntries > maxMailboxEntries) {
            throw new IllegalArgumentException("strangers' share of a mailbox must be between 1 and the whole mailbox");
        }
        if (maxFanOutBytes < maxMessageBytes) {
            throw new IllegalArgumentException("a multi-recipient send must be able to carry one message of the largest size");
        }
    }

    /** These limits with strangers' share at its default, {@link #defaultStrangerShare}. */
    public MessageLimits(int maxMessageBytes, int maxMailboxEntries, int maxMultiRecipients, long maxFanOutBytes) {
        this(maxMessageBytes, maxMailboxEntries, defaultStrangerShare(maxMailboxEntries), maxMultiRecipients,
                maxFanOutBytes);
    }

    /** The default multi-recipient limits and strangers' share with these single-message limits. */
    public MessageLimits(int maxMessageBytes, int maxMailboxEntries) {
        this(maxMessageBytes, maxMailboxEntries, DEFAULT_MAX_MULTI_RECIPIENTS,
                Math.max(DEFAULT_MAX_FAN_OUT_BYTES, maxMessageBytes));
    }

    /**
     * Half the mailbox (at least one message): a flood from strangers leaves the other half to the
     * recipient's contacts, and a first message from someone new still gets in when the mailbox is
     * not flooded.
     */
    public static int defaultStrangerShare(int maxMailboxEntries) {
        return Math.max(1, maxMailboxEntries / 2);
    }

    /** These limits with another share of the mailbox for strangers. */
    public MessageLimits withStrangerShare(int maxEntriesFromStrangers) {
        return new MessageLimits(maxMessageBytes, maxMailboxEntries, maxEntriesFromStrangers, maxMultiRecipients,
                maxFanOutBytes);
    }
}
