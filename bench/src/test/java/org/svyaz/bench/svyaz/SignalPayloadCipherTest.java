// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.accounts.BenchKeys;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;

/**
 * The end-to-end cipher with real libsignal and no server: what one user seals, the other opens
 * to the same bytes, also when both start sessions at once and messages arrive out of order; and
 * what cannot be opened is reported, never passed on as a message.
 */
class SignalPayloadCipherTest {
    private static final int ALICE = 0;
    private static final int BOB = 1;

    private final List<BenchAccount> accounts = List.of(account(0), account(1));
    private final SignalPayloadCipher cipher = new SignalPayloadCipher();
    private final RecordingInbox aliceInbox = new RecordingInbox();
    private final RecordingInbox bobInbox = new RecordingInbox();

    SignalPayloadCipherTest() {
        cipher.usersCreated(accounts);
    }

    @Test
    void usersWhoStartSessionsWithEachOtherAtOnceReadEveryMessage() throws Exception {
        // Both send before either has received anything: two sessions, one started by each.
        List<Envelope> toBob = new ArrayList<>();
        List<Envelope> toAlice = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            toBob.add(seal(ALICE, BOB, "a" + i));
            toAlice.add(seal(BOB, ALICE, "b" + i));
        }
        assertThat(toBob).allMatch(envelope -> envelope.getType() == EnvelopeType.PREKEY_MESSAGE);
        assertThat(toAlice).allMatch(envelope -> envelope.getType() == EnvelopeType.PREKEY_MESSAGE);

        // Crossing and out of order, as a server with a send window may deliver them.
        cipher.open(BOB, toBob.get(2), bobInbox);
        cipher.open(ALICE, toAlice.get(0), aliceInbox);
        cipher.open(BOB, toBob.get(0), bobInbox);
        cipher.open(ALICE, toAlice.get(2), aliceInbox);
        cipher.open(BOB, toBob.get(1), bobInbox);
        cipher.open(ALICE, toAlice.get(1), aliceInbox);

        // Having heard from each other, both go on without prekeys, on whichever session they now use.
        Envelope laterToBob = seal(ALICE, BOB, "a3");
        Envelope laterToAlice = seal(BOB, ALICE, "b3");
        assertThat(laterToBob.getType()).isEqualTo(EnvelopeType.CIPHERTEXT);
        assertThat(laterToAlice.getType()).isEqualTo(EnvelopeType.CIPHERTEXT);
        cipher.open(ALICE, laterToAlice, aliceInbox);
        cipher.open(BOB, laterToBob, bobInbox);
        for (int i = 4; i < 8; i++) {
            cipher.open(BOB, seal(ALICE, BOB, "a" + i), bobInbox);
            cipher.open(ALICE, seal(BOB, ALICE, "b" + i), aliceInbox);
        }

        assertThat(bobInbox.texts()).containsExactly("a2", "a0", "a1", "a3", "a4", "a5", "a6", "a7");
        assertThat(aliceInbox.texts()).containsExactly("b0", "b2", "b1", "b3", "b4", "b5", "b6", "b7");
        assertThat(bobInbox.again + aliceInbox.again + bobInbox.undecryptable + aliceInbox.undecryptable).isZero();
        assertThat(cipher.notes()).singleElement().asString().startsWith("Encrypted 6 PREKEY_MESSAGEs")
                .contains("10 CIPHERTEXTs");
    }

    @Test
    void theContentIsCiphertextNotThePayload() throws Exception {
        Envelope envelope = seal(ALICE, BOB, "a plain sentence the server must not see");

        assertThat(envelope.getContent().toStringUtf8()).doesNotContain("plain sentence");
        assertThat(envelope.getContent().size()).isGreaterThan(1568); // a PREKEY_MESSAGE carries a Kyber ciphertext
    }

    @Test
    void aDamagedMessageFailsToDecryptAndTheNextOneStillReads() throws Exception {
        cipher.open(BOB, seal(ALICE, BOB, "first"), bobInbox);
        cipher.open(ALICE, seal(BOB, ALICE, "reply"), aliceInbox);
        Envelope damaged = seal(ALICE, BOB, "second");
        assertThat(damaged.getType()).isEqualTo(EnvelopeType.CIPHERTEXT);
        cipher.open(BOB, withLastByteFlipped(damaged), bobInbox);
        cipher.open(BOB, seal(ALICE, BOB, "third"), bobInbox);

        assertThat(bobInbox.texts()).containsExactly("first", "third");
        assertThat(bobInbox.undecryptable).isEqualTo(1);
        assertThat(bobInbox.again).isZero();
    }

    @Test
    void aDamagedFirstMessageStartsNoSessionAndTheNextPrekeyMessageDoes() throws Exception {
        Envelope damaged = seal(ALICE, BOB, "first");
        Envelope next = seal(ALICE, BOB, "second");
        assertThat(next.getType()).isEqualTo(EnvelopeType.PREKEY_MESSAGE);
        cipher.open(BOB, withLastByteFlipped(damaged), bobInbox);
        cipher.open(BOB, next, bobInbox);

        assertThat(bobInbox.texts()).containsExactly("second");
        assertThat(bobInbox.undecryptable).isEqualTo(1);
    }

    @Test
    void aMessageDeliveredTwiceIsADuplicateNotAFailure() throws Exception {
        Envelope envelope = seal(ALICE, BOB, "once");
        cipher.open(BOB, envelope, bobInbox);
        cipher.open(BOB, envelope, bobInbox);

        assertThat(bobInbox.texts()).containsExactly("once");
        assertThat(bobInbox.again).isEqualTo(1);
        assertThat(bobInbox.undecryptable).isZero();
    }

    @Test
    void aSessionMessageFromSomeoneWithoutASessionFailsToDecrypt() throws Exception {
        cipher.open(BOB, seal(ALICE, BOB, "hello"), bobInbox);
        cipher.open(ALICE, seal(BOB, ALICE, "hi"), aliceInbox);
        Envelope fromAlice = seal(ALICE, BOB, "on the session");
        assertThat(fromAlice.getType()).isEqualTo(EnvelopeType.CIPHERTEXT);

        // The envelope names a third account, with whom Bob has no session.
        cipher.open(BOB, fromAlice.toBuilder().setSourceAccount(Uuids.toByteString(UUID.randomUUID())).build(),
                bobInbox);

        assertThat(bobInbox.texts()).containsExactly("hello");
        assertThat(bobInbox.undecryptable).isEqualTo(1);
    }

    @Test
    void usersRegisteredWithoutTheirKeysAreRefused() {
        BenchAccount keyless = new BenchAccount(0, new DeviceCredentials(UUID.randomUUID(), 1, new byte[32]), 7,
                Optional.empty());

        assertThatThrownBy(() -> new SignalPayloadCipher().usersCreated(List.of(keyless)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys");
    }

    private static Envelope withLastByteFlipped(Envelope envelope) {
        byte[] content = envelope.getContent().toByteArray();
        content[content.length - 1] ^= 1;
        return envelope.toBuilder().setContent(ByteString.copyFrom(content)).build();
    }

    private Envelope seal(int sender, int recipient, String text) throws Exception {
        PayloadCipher.Sealed sealed = cipher.seal(sender, recipient, text.getBytes(StandardCharsets.UTF_8));
        BenchAccount from = accounts.get(sender);
        return Envelope.newBuilder()
                .setType(sealed.type())
                .setSourceAccount(Uuids.toByteString(from.accountId()))
                .setSourceDevice(from.credentials().deviceId())
                .setContent(ByteString.copyFrom(sealed.content()))
                .build();
    }

    /** A user with the key material registration uploads, kept, and no server behind it. */
    private static BenchAccount account(int index) {
        IdentityKeyPair identity = IdentityKeyPair.generate();
        ECKeyPair signed = ECKeyPair.generate();
        KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
        BenchKeys keys = new BenchKeys(identity, 1, signed,
                identity.getPrivateKey().calculateSignature(signed.getPublicKey().serialize()), 2, kyber,
                identity.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize()));
        return new BenchAccount(index, new DeviceCredentials(UUID.randomUUID(), 1, new byte[32]), 100 + index,
                Optional.of(keys));
    }

    /** What reached one user, in order. */
    private static final class RecordingInbox implements Inbox {
        final List<byte[]> arrived = new ArrayList<>();
        int again;
        int undecryptable;

        @Override
        public void arrived(byte[] blob) {
            arrived.add(blob);
        }

        @Override
        public void arrivedAgain() {
            again++;
        }

        @Override
        public void arrivedUndecryptable() {
            undecryptable++;
        }

        List<String> texts() {
            return arrived.stream().map(blob -> new String(blob, StandardCharsets.UTF_8)).toList();
        }
    }
}
