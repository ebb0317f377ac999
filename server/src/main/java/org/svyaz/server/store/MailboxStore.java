// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Per-device mailboxes of undelivered envelopes.
 *
 * <p>Data layout: one table of (sequence, account, device, guid, envelope bytes, stored-at,
 * from-stranger), the sequence global and increasing, so a device's messages come back in the order
 * they were stored. From-stranger is one bit ({@link MailboxEntry#fromStranger}); the sender is not
 * recorded. An entry lives until the device acknowledges it or it expires.
 */
public interface MailboxStore {
    /**
     * Stores all entries atomically unless that would put more than {@code maxEntriesPerDevice}
     * entries in any one device's mailbox, or more than {@code maxFromStrangersPerDevice} entries
     * from strangers: then nothing is stored and false is returned. So strangers can fill only
     * their share of a mailbox, and the rest stays open to the people the recipient talks to. The
     * counts and the insert are one transaction, with other inserts for these mailboxes kept out,
     * so concurrent sends cannot pass either cap together. When this returns true the entries
     * survive a crash.
     */
    boolean insert(List<MailboxEntry> entries, int maxEntriesPerDevice, int maxFromStrangersPerDevice)
            throws StoreException;

    /** {@link #insert(List, int, int)} with no separate share for strangers. */
    default boolean insert(List<MailboxEntry> entries, int maxEntriesPerDevice) throws StoreException {
        return insert(entries, maxEntriesPerDevice, maxEntriesPerDevice);
    }

    /** Stores all entries atomically, however full the mailboxes; when this returns they survive a crash. */
    default void insert(List<MailboxEntry> entries) throws StoreException {
        insert(entries, Integer.MAX_VALUE);
    }

    /** Up to {@code limit} entries of the device with a sequence above {@code afterSequence}, in order. */
    List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit) throws StoreException;

    /** Deletes the entry; returns false when it was not there (already acknowledged). */
    boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException;

    /**
     * Deletes the device's entries with these guids, acknowledged together; returns how many were
     * there. A store that can should do it in one transaction: a device draining its mailbox
     * acknowledges many messages a second.
     */
    default int delete(UUID accountId, int deviceId, List<byte[]> guids) throws StoreException {
        int deleted = 0;
        for (byte[] guid : guids) {
            if (delete(accountId, deviceId, guid)) {
                deleted++;
            }
        }
        return deleted;
    }

    int count(UUID accountId, int deviceId) throws StoreException;

    /**
     * The most entries any one of these devices' mailboxes holds (0 when all are empty), for the
     * full-mailbox check of a message to many devices. A store that can should read it in one go.
     */
    default int largestCount(Map<UUID, ? extends Collection<Integer>> deviceIdsByAccount) throws StoreException {
        int largest = 0;
        for (Map.Entry<UUID, ? extends Collection<Integer>> account : deviceIdsByAccount.entrySet()) {
            for (int deviceId : account.getValue()) {
                largest = Math.max(largest, count(account.getKey(), deviceId));
            }
        }
        return largest;
    }

    /** Deletes entries stored before {@code cutoffMillis}; returns how many. */
    int deleteOlderThan(long cutoffMillis) throws StoreException;
}
