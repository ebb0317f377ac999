// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.accounts.BenchKeys;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;

/**
 * The payload encrypted end to end with libsignal, as between two Svyaz clients: each user has an
 * in-memory protocol store holding the identity, signed prekey and Kyber last-resort key it
 * registered with. A sender's first message to a peer starts a session (PQXDH) from the peer's
 * prekey bundle; every send is a {@link SessionCipher} encryption, a PREKEY_MESSAGE until the peer
 * has answered on the session and a CIPHERTEXT after; every arrival is decrypted before the
 * plaintext reaches the inbox. The payload is encrypted as it is, without a client's padding: its
 * size is the benchmark's choice already.
 *
 * <p>libsignal's stores are not thread-safe, and one user's store is used by its sender thread
 * (encrypting) and by an event loop thread (decrypting what reaches it), so each user's store has
 * its own lock; no code holds two. When two users start sessions with each other at the same time,
 * each ends up with two sessions for the other; libsignal keeps the older as an archived state and
 * tries it when a message does not decrypt with the current one.
 *
 * <p>What this costs lands in the load tool, not the server: the server stores and pushes the same
 * kind of envelope either way, only larger by the encryption's overhead. The load tool's memory
 * grows with the sessions: about 5 KB per session record, two for every pair of users that talked.
 */
public final class SignalPayloadCipher implements PayloadCipher {
    public static final String MODE = "libsignal end to end";
    /**
     * What a message may need beyond its payload, with room to spare: a PREKEY_MESSAGE adds about
     * 1.8 KB (the Kyber-1024 ciphertext, two public keys, counters, CBC padding and the MAC), a
     * CIPHERTEXT about 100 bytes.
     */
    public static final int MAX_OVERHEAD_BYTES = 4096;
    /**
     * Holders of a user's lock do one libsignal operation each, well under a millisecond; a wait
     * this long means something is stuck, and the message is counted as failed instead.
     */
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);

    private volatile List<User> users = List.of();
    private final LongAdder preKeyMessages = new LongAdder();
    private final LongAdder preKeyBytes = new LongAdder();
    private final LongAdder ciphertextMessages = new LongAdder();
    private final LongAdder ciphertextBytes = new LongAdder();

    @Override
    public String mode() {
        return MODE;
    }

    @Override
    public boolean needsKeys() {
        return true;
    }

    /** @throws IllegalArgumentException when an account was registered without keeping its keys */
    @Override
    public void usersCreated(List<BenchAccount> accounts) {
        List<User> loaded = new ArrayList<>(accounts.size());
        for (BenchAccount account : accounts) {
            loaded.add(new User(account));
        }
        users = List.copyOf(loaded);
    }

    @Override
    public Sealed seal(int sender, int recipient, byte[] payload) throws BenchException {
        User from = users.get(sender);
        User to = users.get(recipient);
        lock(from, "encrypting");
        CiphertextMessage message;
        try {
            if (!from.store.containsSession(to.address)) {
                new SessionBuilder(from.store, to.address).process(to.bundle());
            }
            message = new SessionCipher(from.store, to.address).encrypt(payload);
        } catch (InvalidKeyException | UntrustedIdentityException | NoSessionException e) {
            throw new BenchException("libsignal could not encrypt a message: " + e.getMessage(), e);
        } finally {
            from.lock.unlock();
        }
        byte[] content = message.serialize();
        return switch (message.getType()) {
            case CiphertextMessage.PREKEY_TYPE -> {
                preKeyMessages.increment();
                preKeyBytes.add(content.length);
                yield new Sealed(EnvelopeType.PREKEY_MESSAGE, content);
            }
            case CiphertextMessage.WHISPER_TYPE -> {
                ciphertextMessages.increment();
                ciphertextBytes.add(content.length);
                yield new Sealed(EnvelopeType.CIPHERTEXT, content);
            }
            default -> throw new BenchException("libsignal made a message of unexpected type " + message.getType(),
                    null);
        };
    }

    @Override
    public void open(int recipient, Envelope envelope, Inbox inbox) {
        User me = users.get(recipient);
        byte[] plaintext;
        try {
            SignalProtocolAddress source = new SignalProtocolAddress(
                    Uuids.fromByteString(envelope.getSourceAccount()).toString(), envelope.getSourceDevice());
            byte[] content = envelope.getContent().toByteArray();
            lock(me, "decrypting");
            try {
                SessionCipher cipher = new SessionCipher(me.store, source);
                plaintext = switch (envelope.getType()) {
                    case PREKEY_MESSAGE -> cipher.decrypt(new PreKeySignalMessage(content));
                    case CIPHERTEXT -> cipher.decrypt(new SignalMessage(content));
                    default -> throw new InvalidMessageException("not a one-to-one Signal message: "
                            + envelope.getType());
                };
            } finally {
                me.lock.unlock();
            }
        } catch (DuplicateMessageException e) {
            // libsignal has used this message's key before: the same message delivered twice.
            inbox.arrivedAgain();
            return;
        } catch (InvalidMessageException | InvalidVersionException | LegacyMessageException | InvalidKeyException
                 | InvalidKeyIdException | NoSessionException | UntrustedIdentityException | BenchException
                 | IllegalArgumentException e) {
            // IllegalArgumentException: the envelope names no valid source account.
            inbox.arrivedUndecryptable();
            return;
        }
        inbox.arrived(plaintext);
    }

    @Override
    public List<String> notes() {
        long preKey = preKeyMessages.sum();
        long ciphertext = ciphertextMessages.sum();
        if (preKey + ciphertext == 0) {
            return List.of();
        }
        return List.of(String.format(Locale.ROOT, "Encrypted %d PREKEY_MESSAGEs (they start sessions) of %.0f B and "
                + "%d CIPHERTEXTs of %.0f B on average.", preKey, mean(preKeyBytes, preKey), ciphertext,
                mean(ciphertextBytes, ciphertext)));
    }

    private static double mean(LongAdder bytes, long count) {
        return count == 0 ? 0 : (double) bytes.sum() / count;
    }

    /** Takes {@code user}'s lock within {@link #LOCK_TIMEOUT}; {@code doing} names the work for the error. */
    private static void lock(User user, String doing) throws BenchException {
        try {
            if (!user.lock.tryLock(LOCK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchException("A user's protocol store stayed locked for over "
                        + LOCK_TIMEOUT.toSeconds() + " s while " + doing + ".", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while " + doing + ".", e);
        }
    }

    /** One user's end of the protocol: its address, its store and the lock that serializes the store's use. */
    private static final class User {
        final SignalProtocolAddress address;
        final InMemorySignalProtocolStore store;
        final ReentrantLock lock = new ReentrantLock();
        private final BenchKeys keys;
        private final int registrationId;

        User(BenchAccount account) {
            keys = account.keys().orElseThrow(() -> new IllegalArgumentException(
                    "an end-to-end benchmark user must be registered with its keys kept"));
            registrationId = account.registrationId();
            address = new SignalProtocolAddress(account.accountId().toString(), account.credentials().deviceId());
            store = new InMemorySignalProtocolStore(keys.identity(), registrationId);
            long now = System.currentTimeMillis();
            store.storeSignedPreKey(keys.signedPreKeyId(), new SignedPreKeyRecord(keys.signedPreKeyId(), now,
                    keys.signedPreKey(), keys.signedPreKeySignature()));
            store.storeKyberPreKey(keys.kyberPreKeyId(), new KyberPreKeyRecord(keys.kyberPreKeyId(), now,
                    keys.kyberPreKey(), keys.kyberPreKeySignature()));
        }

        /**
         * The bundle the server hands out for this user's only device: registration id, device id,
         * the signed prekey and the Kyber last-resort key, and no one-time prekey (the registrar
         * uploads none). It is built from what the tool registered rather than fetched with
         * {@code /v1/keys/bundle}: the server would answer with these same keys (an IT checks that
         * it does), and fetching would add a bundle request per sender and peer, up to N × (N - 1),
         * to the measured load, which is meant to be the message path. A real client fetches once
         * per peer and then talks on the session for months.
         */
        PreKeyBundle bundle() {
            return new PreKeyBundle(registrationId, address.getDeviceId(), PreKeyBundle.NULL_PRE_KEY_ID, null,
                    keys.signedPreKeyId(), keys.signedPreKey().getPublicKey(), keys.signedPreKeySignature(),
                    keys.identity().getPublicKey(), keys.kyberPreKeyId(), keys.kyberPreKey().getPublicKey(),
                    keys.kyberPreKeySignature());
        }
    }
}
