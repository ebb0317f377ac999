// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.InvalidCertificateException;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.protocol.UnidentifiedSenderMessageContent;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidRegistrationIdException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.accounts.BenchKeys;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.client.PreKeyBundles;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SenderCertificateRequest;
import org.svyaz.protocol.wire.SenderCertificateResponse;

/**
 * One sending member's side of the group, made the way the client's {@code GroupMessaging} makes
 * it, with libsignal's in-memory store instead of the client's SQLite one: a session with every
 * other member's device, built from the prekey bundle the server hands out; a sender key for the
 * group; a sender certificate from the server; and per message one sender-key ciphertext wrapped
 * with that certificate and sealed for every member device at once with
 * {@code SealedSessionCipher.multiRecipientEncrypt}. The sessions only supply each device's
 * identity key and registration id: a sealed v2 copy is opened with the member's identity key, and
 * the group message inside with the sender key.
 */
final class GroupSender {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Bundle requests in flight at once while the sessions are built. */
    private static final int BUNDLE_WINDOW = 32;
    private static final int EPHEMERAL_KEY_BYTES = 32;
    private static final int AEAD_TAG_BYTES = 16;

    private final BenchAccount self;
    private final InMemorySignalProtocolStore store;
    private final SignalProtocolAddress address;
    private final byte[] groupId;
    private final UUID distributionId = UUID.randomUUID();
    private final SenderKeyDistributionMessage distribution;
    private final SenderCertificate certificate;
    private final List<SignalProtocolAddress> recipients;

    private GroupSender(BenchAccount self, InMemorySignalProtocolStore store, byte[] groupId,
                        SenderCertificate certificate, List<SignalProtocolAddress> recipients) {
        this.self = self;
        this.store = store;
        this.address = addressOf(self);
        this.groupId = groupId.clone();
        this.certificate = certificate;
        this.recipients = List.copyOf(recipients);
        this.distribution = new GroupSessionBuilder(store).create(address, distributionId);
    }

    /**
     * Prepares {@code self} to send to {@code members} (itself excluded) over {@code session}: fetches
     * its sender certificate and every other member's prekey bundle, and builds a session with each
     * bundled device, as a client does before its first message to a group.
     */
    static GroupSender prepare(BenchAccount self, SvyazSystem.Session session, List<BenchAccount> members,
                               byte[] groupId) throws BenchException {
        BenchKeys keys = self.keys().orElseThrow(() -> new IllegalArgumentException(
                "a group sender needs the keys it registered with (register with keepKeys)"));
        InMemorySignalProtocolStore store = new InMemorySignalProtocolStore(keys.identity(), self.registrationId());
        SenderCertificate certificate = certificate(session);
        List<SignalProtocolAddress> recipients = new ArrayList<>(members.size());
        Deque<PendingBundle> pending = new ArrayDeque<>();
        for (BenchAccount member : members) {
            if (member.index() == self.index()) {
                continue;
            }
            pending.add(new PendingBundle(member, session.request(ApiPaths.KEYS_BUNDLE, PreKeyBundleRequest.newBuilder()
                    .setAccountId(Uuids.toByteString(member.accountId())).build())));
            if (pending.size() >= BUNDLE_WINDOW) {
                recipients.addAll(startSessions(store, pending.poll()));
            }
        }
        while (!pending.isEmpty()) {
            recipients.addAll(startSessions(store, pending.poll()));
        }
        return new GroupSender(self, store, groupId, certificate, recipients);
    }

    /** The member this is. */
    BenchAccount account() {
        return self;
    }

    /** Where members file this sender's sender key. */
    SignalProtocolAddress address() {
        return address;
    }

    /** What every member needs to read this sender's group messages; a client sends it pairwise. */
    SenderKeyDistributionMessage distribution() {
        return distribution;
    }

    /** Member devices each message is sealed for. */
    int recipientDevices() {
        return recipients.size();
    }

    /**
     * One group message as sealed for every member device.
     *
     * @param payload the Sealed Sender v2 payload, as sent to the server
     * @param sharedBytes how many of its last bytes every recipient gets alike: the ephemeral public
     *                    key (32 bytes) and the AES-GCM-SIV ciphertext of the sealed content (its
     *                    length plus a 16-byte tag)
     */
    record Sealed(byte[] payload, int sharedBytes) {}

    /** Seals one group message carrying {@code plaintext}, for every member device. */
    Sealed seal(byte[] plaintext) throws BenchException {
        try {
            CiphertextMessage groupMessage = new GroupCipher(store, address).encrypt(distributionId, plaintext);
            UnidentifiedSenderMessageContent content = new UnidentifiedSenderMessageContent(groupMessage, certificate,
                    UnidentifiedSenderMessageContent.CONTENT_HINT_RESENDABLE, Optional.of(groupId));
            byte[] payload = new SealedSessionCipher(store, self.accountId(), null, self.credentials().deviceId())
                    .multiRecipientEncrypt(recipients, content);
            return new Sealed(payload, EPHEMERAL_KEY_BYTES + content.getSerialized().length + AEAD_TAG_BYTES);
        } catch (NoSessionException | InvalidKeyException | InvalidRegistrationIdException
                 | UntrustedIdentityException e) {
            throw new BenchException("Sealing a group message failed: " + e.getClass().getSimpleName(), e);
        }
    }

    static SignalProtocolAddress addressOf(BenchAccount account) {
        return new SignalProtocolAddress(account.accountId().toString(), account.credentials().deviceId());
    }

    private record PendingBundle(BenchAccount member, CompletableFuture<Response> response) {}

    /** Builds a session with each device in one member's bundle; returns their addresses. */
    private static List<SignalProtocolAddress> startSessions(InMemorySignalProtocolStore store, PendingBundle pending)
            throws BenchException {
        PreKeyBundleResponse bundles = parse(answer(pending.response(), "a prekey bundle"),
                PreKeyBundleResponse.parser(), "a prekey bundle");
        if (bundles.getDevicesCount() == 0) {
            throw new BenchException("The server handed out a prekey bundle without devices.", null);
        }
        List<SignalProtocolAddress> addresses = new ArrayList<>(bundles.getDevicesCount());
        try {
            IdentityKey identity = new IdentityKey(bundles.getIdentityKey().toByteArray());
            for (DeviceBundle device : bundles.getDevicesList()) {
                PreKeyBundle bundle = PreKeyBundles.of(identity, device);
                SignalProtocolAddress address = new SignalProtocolAddress(pending.member().accountId().toString(),
                        device.getDeviceId());
                new SessionBuilder(store, address).process(bundle);
                addresses.add(address);
            }
        } catch (InvalidKeyException | UntrustedIdentityException e) {
            throw new BenchException("A member's prekey bundle does not verify: " + e.getClass().getSimpleName(), e);
        }
        return addresses;
    }

    private static SenderCertificate certificate(SvyazSystem.Session session) throws BenchException {
        SenderCertificateResponse response = parse(answer(session.request(ApiPaths.SENDER_CERTIFICATE,
                SenderCertificateRequest.getDefaultInstance()), "a sender certificate"),
                SenderCertificateResponse.parser(), "a sender certificate");
        try {
            return new SenderCertificate(response.getCertificate().toByteArray());
        } catch (InvalidCertificateException e) {
            throw new BenchException("The server issued an unreadable sender certificate.", e);
        }
    }

    private static Response answer(CompletableFuture<Response> request, String what) throws BenchException {
        Response response;
        try {
            response = request.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new BenchException("Asking the server for " + what + " failed: " + e.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while asking the server for " + what + ".", e);
        }
        if (response.getError() != ErrorCode.OK) {
            throw new BenchException("The server refused " + what + ": " + response.getError(), null);
        }
        return response;
    }

    private static <T extends Message> T parse(Response response, Parser<T> parser, String what)
            throws BenchException {
        try {
            return parser.parseFrom(response.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw new BenchException("The server's answer with " + what + " is unreadable.", e);
        }
    }
}
