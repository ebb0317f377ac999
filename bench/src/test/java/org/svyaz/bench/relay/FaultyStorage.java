// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;

/**
 * A real storage whose mailbox misbehaves on every {@code every}-th stored entry: it either drops
 * the entry while reporting success (the server acknowledges a send it will never deliver) or
 * stores it twice under two guids (the device gets the same message twice). It counts what it did,
 * so a test can check that the load tool finds exactly that many losses or duplicates.
 */
final class FaultyStorage implements Storage {
    enum Fault { DROP, DUPLICATE }

    private final Storage real;
    private final FaultyMailbox mailbox;

    FaultyStorage(Storage real, Fault fault, int every) {
        this.real = real;
        this.mailbox = new FaultyMailbox(real.mailbox(), fault, every);
    }

    /** How many entries were dropped or duplicated. */
    long faults() {
        return mailbox.faults.get();
    }

    @Override
    public AccountStore accounts() {
        return real.accounts();
    }

    @Override
    public KeyStore keys() {
        return real.keys();
    }

    @Override
    public MailboxStore mailbox() {
        return mailbox;
    }

    @Override
    public void close() {
        real.close();
    }

    private static final class FaultyMailbox implements MailboxStore {
        private static final SecureRandom RANDOM = new SecureRandom();
        private final MailboxStore real;
        private final Fault fault;
        private final int every;
        private final AtomicLong inserted = new AtomicLong();
        private final AtomicLong faults = new AtomicLong();

        FaultyMailbox(MailboxStore real, Fault fault, int every) {
            this.real = real;
            this.fault = fault;
            this.every = every;
        }

        @Override
        public void insert(List<MailboxEntry> entries) throws StoreException {
            List<MailboxEntry> stored = new ArrayList<>();
            for (MailboxEntry entry : entries) {
                if (inserted.incrementAndGet() % every != 0) {
                    stored.add(entry);
                    continue;
                }
                faults.incrementAndGet();
                if (fault == Fault.DUPLICATE) {
                    byte[] otherGuid = new byte[16];
                    RANDOM.nextBytes(otherGuid);
                    stored.add(entry);
                    stored.add(new MailboxEntry(entry.sequence(), entry.accountId(), entry.deviceId(), otherGuid,
                            entry.envelope(), entry.storedAtMillis()));
                }
            }
            real.insert(stored);
        }

        @Override
        public List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit)
                throws StoreException {
            return real.fetch(accountId, deviceId, afterSequence, limit);
        }

        @Override
        public boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException {
            return real.delete(accountId, deviceId, guid);
        }

        @Override
        public int count(UUID accountId, int deviceId) throws StoreException {
            return real.count(accountId, deviceId);
        }

        @Override
        public int deleteOlderThan(long cutoffMillis) throws StoreException {
            return real.deleteOlderThan(cutoffMillis);
        }
    }
}
