// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.certificate.ServerCertificate;
import org.signal.libsignal.metadata.protocol.UnidentifiedSenderMessageContent;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * A sender and group members made of libsignal's in-memory stores, producing real Sealed Sender v2
 * payloads the way a client would: a sender-key ciphertext for the group, wrapped with a sender
 * certificate chained to a test trust root, sealed once for every member device with
 * {@code SealedSessionCipher.multiRecipientEncrypt}. Members open what the server hands them with
 * {@code SealedSessionCipher.decrypt}, after processing the sender's distribution message.
 */
final class SealedGroup {
    /** One member device: its own store, sharing the account's identity key. */
    record MemberDevice(int deviceId, int registrationId, InMemorySignalProtocolStore store) {}

    record Member(UUID accountId, IdentityKeyPair identity, List<MemberDevice> devices) {
        MemberDevice device(int deviceId) {
            return devices.stream().filter(d -> d.deviceId() == deviceId).findFirst().orElseThrow();
        }
    }

    static final long TIMESTAMP = 1_700_000_000_000L;
    private static final int SENDER_DEVICE = 1;

    private final ECKeyPair trustRoot = ECKeyPair.generate();
    private final UUID senderId = UUID.randomUUID();
    private final IdentityKeyPair senderIdentity = IdentityKeyPair.generate();
    private final InMemorySignalProtocolStore senderStore = new InMemorySignalProtocolStore(senderIdentity, 4711);
    private final SignalProtocolAddress senderAddress = new SignalProtocolAddress(senderId.toString(), SENDER_DEVICE);
    private final UUID distributionId = UUID.randomUUID();
    private final byte[] distribution;
    private final SenderCertificate certificate;
    private int nextPreKeyId = 1;

    SealedGroup() {
        ECKeyPair serverKey = ECKeyPair.generate();
        ServerCertificate server = new ServerCertificate(trustRoot.getPrivateKey(), 1, serverKey.getPublicKey());
        certificate = server.issue(serverKey.getPrivateKey(), senderId.toString(), Optional.empty(), SENDER_DEVICE,
                senderIdentity.getPublicKey().getPublicKey(), TIMESTAMP + 86_400_000L);
        distribution = new GroupSessionBuilder(senderStore).create(senderAddress, distributionId).serialize();
    }

    UUID senderId() {
        return senderId;
    }

    /** A member with one device per registration id (device ids 1, 2, ...), with a session from the sender. */
    Member member(int... registrationIds) throws Exception {
        UUID accountId = UUID.randomUUID();
        IdentityKeyPair identity = IdentityKeyPair.generate();
        List<MemberDevice> devices = new ArrayList<>();
        for (int i = 0; i < registrationIds.length; i++) {
            devices.add(device(accountId, identity, i + 1, registrationIds[i]));
        }
        return new Member(accountId, identity, List.copyOf(devices));
    }

    private MemberDevice device(UUID accountId, IdentityKeyPair identity, int deviceId, int registrationId)
            throws Exception {
        InMemorySignalProtocolStore store = new InMemorySignalProtocolStore(identity, registrationId);
        ECKeyPair preKey = ECKeyPair.generate();
        ECKeyPair signedPreKey = ECKeyPair.generate();
        KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
        int id = nextPreKeyId++;
        PreKeyBundle bundle = new PreKeyBundle(registrationId, deviceId, id, preKey.getPublicKey(), id,
                signedPreKey.getPublicKey(),
                identity.getPrivateKey().calculateSignature(signedPreKey.getPublicKey().serialize()),
                identity.getPublicKey(), id, kyber.getPublicKey(),
                identity.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize()));
        // The sender's session only supplies the device's registration id and identity key: a
        // sealed v2 message is opened with the identity key, the content with the sender key.
        new SessionBuilder(senderStore, new SignalProtocolAddress(accountId.toString(), deviceId)).process(bundle);
        new GroupSessionBuilder(store).process(senderAddress, new SenderKeyDistributionMessage(distribution));
        return new MemberDevice(deviceId, registrationId, store);
    }

    /** The SentMessage for every device of {@code members}, carrying {@code plaintext} as a group message. */
    byte[] seal(List<Member> members, byte[] plaintext) throws Exception {
        List<SignalProtocolAddress> addresses = new ArrayList<>();
        for (Member member : members) {
            for (MemberDevice device : member.devices()) {
                addresses.add(new SignalProtocolAddress(member.accountId().toString(), device.deviceId()));
            }
        }
        CiphertextMessage groupMessage = new GroupCipher(senderStore, senderAddress).encrypt(distributionId, plaintext);
        UnidentifiedSenderMessageContent content = new UnidentifiedSenderMessageContent(groupMessage, certificate,
                UnidentifiedSenderMessageContent.CONTENT_HINT_DEFAULT, Optional.of(new byte[] {1, 2, 3}));
        return new SealedSessionCipher(senderStore, senderId, null, SENDER_DEVICE).multiRecipientEncrypt(addresses, content);
    }

    /** What the member's device reads from a received message; checks the sender is the group's sender. */
    byte[] open(Member member, MemberDevice device, byte[] received) throws Exception {
        SealedSessionCipher.DecryptionResult result = new SealedSessionCipher(device.store(), member.accountId(), null,
                device.deviceId()).decrypt(new CertificateValidator(trustRoot.getPublicKey()), received, TIMESTAMP);
        if (!result.getSenderUuid().equals(senderId.toString()) || result.getDeviceId() != SENDER_DEVICE) {
            throw new AssertionError("decrypted, but the sender is not the group's sender");
        }
        return result.getPaddedMessage();
    }
}
