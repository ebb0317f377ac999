// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;

/**
 * A real storage whose mailbox misbehaves on every {@code every}-th stored entry: it drops the
 * entry while reporting success (the server acknowledges a send it will never deliver), stores it
 * twice under two guids (the device gets the same message twice), swaps its envelope with that of
 * the entry stored just before it in the same batch (two members of a group get each other's
 * copy), or flips a bit of the message's authentication code (the device gets damaged ciphertext).
 * It counts what it did, so a test can check that the load tool finds exactly that many losses,
 * duplicates, misdelivered copies or decryption failures.
 */
public final class FaultyStorage implements Storage {
    public enum Fault { DROP, DUPLICATE, SWAP, CORRUPT }

    private final Storage real;
    private final FaultyMailbox mailbox;

    public FaultyStorage(Storage real, Fault fault, int every) {
        this.real = real;
        this.mailbox = new FaultyMailbox(real.mailbox(), fault, every);
    }

    /** How many entries were dropped or duplicated, or pairs swapped. */
    public long faults() {
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
        public boolean insert(List<MailboxEntry> entries, int maxEntriesPerDevice, int maxFromStrangersPerDevice)
                throws StoreException {
            List<MailboxEntry> stored = new ArrayList<>();
            for (MailboxEntry entry : entries) {
                if (inserted.incrementAndGet() % every != 0) {
                    stored.add(entry);
                    continue;
                }
                if (fault == Fault.SWAP) {
                    if (stored.isEmpty()) {
                        stored.add(entry); // nothing before it in this batch to swap with
                        continue;
                    }
                    MailboxEntry before = stored.removeLast();
                    stored.add(withEnvelope(before, entry.envelope()));
                    stored.add(withEnvelope(entry, before.envelope()));
                    faults.incrementAndGet();
                    continue;
                }
                faults.incrementAndGet();
                switch (fault) {
                    case DROP -> { }
                    case DUPLICATE -> {
                        byte[] otherGuid = new byte[16];
                        RANDOM.nextBytes(otherGuid);
                        stored.add(entry);
                        stored.add(new MailboxEntry(entry.sequence(), entry.accountId(), entry.deviceId(), otherGuid,
                                entry.envelope(), entry.storedAtMillis(), entry.fromStranger()));
                    }
                    case CORRUPT -> stored.add(new MailboxEntry(entry.sequence(), entry.accountId(), entry.deviceId(),
                            entry.guid(), corrupted(entry.envelope()), entry.storedAtMillis(), entry.fromStranger()));
                }
            }
            return real.insert(stored, maxEntriesPerDevice, maxFromStrangersPerDevice);
        }

        private static MailboxEntry withEnvelope(MailboxEntry entry, byte[] envelope) {
            return new MailboxEntry(entry.sequence(), entry.accountId(), entry.deviceId(), entry.guid(), envelope,
                    entry.storedAtMillis(), entry.fromStranger());
        }

        /**
         * The envelope with one bit of its Signal message's MAC (the message's last byte) flipped;
         * its length and everything else as it was. A PREKEY_MESSAGE wraps the Signal message in
         * fields that the recipient reads only when the message starts a session (a repeat of them
         * is ignored, and the plaintext arrives intact), so the damage goes to the wrapped message,
         * which is authenticated every time. An opaque payload just gets a different last byte.
         */
        private static byte[] corrupted(byte[] serialized) throws StoreException {
            try {
                Envelope envelope = Envelope.parseFrom(serialized);
                byte[] content = envelope.getContent().toByteArray();
                int end = content.length;
                if (envelope.getType() == EnvelopeType.PREKEY_MESSAGE) {
                    byte[] inner = new PreKeySignalMessage(content).getWhisperMessage().serialize();
                    end = indexOf(content, inner) + inner.length;
                }
                content[end - 1] ^= 1;
                return envelope.toBuilder().setContent(ByteString.copyFrom(content)).build().toByteArray();
            } catch (InvalidProtocolBufferException | InvalidMessageException | InvalidVersionException
                     | LegacyMessageException | InvalidKeyException e) {
                throw new StoreException("a stored envelope is not what the test expects", e);
            }
        }

        /** Where {@code part} starts in {@code whole}; a prekey message embeds its Signal message verbatim. */
        private static int indexOf(byte[] whole, byte[] part) throws StoreException {
            for (int start = 0; start + part.length <= whole.length; start++) {
                if (Arrays.equals(whole, start, start + part.length, part, 0, part.length)) {
                    return start;
                }
            }
            throw new StoreException("a prekey message does not contain its own Signal message", null);
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
