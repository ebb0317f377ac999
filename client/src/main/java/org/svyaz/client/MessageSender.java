// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.InvalidCertificateException;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.SendResult;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UntrustedIdentityError;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.Route;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.IdentityRecord;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.client.store.TrustLevel;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SenderCertificateRequest;
import org.svyaz.protocol.wire.SenderCertificateResponse;
import org.svyaz.protocol.wire.StaleDevices;

/**
 * Sends content to a contact's devices: sessions built from their prekey bundles, encrypted per
 * device, sealed whenever the contact's profile key lets us prove access (else identified), the
 * device list repaired when the server says it changed, and the whole retried when the network
 * fails. Files are encrypted and uploaded before the message that carries their keys.
 */
final class MessageSender {
    private static final Logger log = LoggerFactory.getLogger(MessageSender.class);
    /** Sends tried, plus one to build the first sessions. */
    private static final int SEND_ATTEMPTS = 5;
    private static final int PADDING_BLOCK = 160;
    /** Refresh the sender certificate when it has less than this left. */
    private static final Duration CERTIFICATE_MARGIN = Duration.ofHours(1);
    /** Received files, decrypted, under the account's directory. */
    static final String ATTACHMENT_DIRECTORY = "attachments";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connections connections;
    private final AccountSettings settings;
    private final AccountDatabase db;
    private final SqliteSignalStore store;
    private final LocalMessages messages;
    private final Clock clock;
    private volatile TransferProgress transferProgress = TransferProgress.NONE;

    MessageSender(Connections connections, AccountSettings settings, AccountDatabase db, SqliteSignalStore store,
                  LocalMessages messages, Clock clock) {
        this.connections = connections;
        this.settings = settings;
        this.db = db;
        this.store = store;
        this.messages = messages;
        this.clock = clock;
    }

    void onTransferProgress(TransferProgress listener) {
        transferProgress = listener;
    }

    /** Content as this account sends it: who we say we are and the key that opens our profile. */
    Content.Builder contentFromHere() {
        return Content.newBuilder()
                .setSenderUsername(settings.username())
                .setProfileKey(ByteString.copyFrom(settings.profileKey()));
    }

    /** How the last send reached the server: the anonymous connection for sealed sends. */
    String routeOfLastSend(boolean sealed) {
        return connections.routeOfLastSend(sealed);
    }

    /** Sends content to a contact: sealed when possible, else identified; retried until sent. */
    SendResult sendToContact(String recipient, UUID destination, Content.Builder built, long timestamp)
            throws ClientException {
        return SendRetry.untilSent(() -> sendToContactOnce(recipient, destination, built, timestamp));
    }

    /**
     * Sends {@code content} to every device of one account, sealed when we can; once, because the
     * caller (a group send) retries the whole of its work itself.
     */
    SendResult sendPairwise(String recipient, UUID destination, Content content, long timestamp) throws ClientException {
        return sendToContactOnce(recipient, destination, content.toBuilder(), timestamp);
    }

    private SendResult sendToContactOnce(String recipient, UUID destination, Content.Builder built, long timestamp)
            throws ClientException {
        try {
            Optional<IdentityRecord> identity = store.identity(destination.toString());
            if (identity.isPresent() && identity.get().trust() == TrustLevel.UNTRUSTED) {
                throw new UntrustedIdentityError(recipient);
            }
            Content content = built
                    .setSenderUsername(settings.username())
                    .setProfileKey(ByteString.copyFrom(settings.profileKey()))
                    .build();
            byte[] plaintext = pad(content);
            // With the contact's profile key we can prove access; without it, sealed works only if the
            // contact accepts sealed messages from anyone, which the server tells us by accepting.
            byte[] access = messages.profileKey(destination).map(ProfileCipher::accessKey).orElse(new byte[0]);
            if (sendContent(recipient, destination, plaintext, timestamp, Optional.of(access))) {
                return new SendResult(timestamp, true, connections.routeOfLastSend(true));
            }
            sendContent(recipient, destination, plaintext, timestamp, Optional.empty());
            return new SendResult(timestamp, false, connections.routeOfLastSend(false));
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Rounds the plaintext up to a multiple of 160 bytes so its length says little about the text. */
    static byte[] pad(Content content) {
        int size = content.getSerializedSize();
        int target = ((size + 3) / PADDING_BLOCK + 1) * PADDING_BLOCK;
        byte[] padding = new byte[Math.max(0, target - size - 3)];
        RANDOM.nextBytes(padding);
        return content.toBuilder().setPadding(ByteString.copyFrom(padding)).build().toByteArray();
    }

    /**
     * Encrypts for every device of the destination and sends, rebuilding sessions when the server
     * says the device list changed. With an access key the send is sealed and goes over an
     * unauthenticated connection; returns false when the server refused that key.
     */
    private boolean sendContent(String recipient, UUID destination, byte[] plaintext, long timestamp,
                                Optional<byte[]> accessKey) throws ClientException {
        String name = destination.toString();
        for (int attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
            List<OutgoingMessage> outgoing = accessKey.isPresent()
                    ? encryptSealed(recipient, name, plaintext)
                    : encrypt(recipient, name, plaintext);
            if (outgoing.isEmpty()) {
                // No session yet, or another send dropped them on the server's word after we looked:
                // known only from what was encrypted, never from a look before (IdentityChangeIT).
                startSessions(recipient, destination, Set.of());
                continue;
            }
            Response response;
            if (accessKey.isPresent()) {
                response = connections.callAnonymously(ApiPaths.MESSAGES_SEND_SEALED, SealedSendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(destination))
                        .setAccessKey(ByteString.copyFrom(accessKey.get()))
                        .setTimestamp(timestamp)
                        .addAllMessages(outgoing)
                        .build());
                if (response.getError() == ErrorCode.UNAUTHORIZED) {
                    return false;
                }
            } else {
                response = connections.call(ApiPaths.MESSAGES_SEND, SendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(destination))
                        .setTimestamp(timestamp)
                        .addAllMessages(outgoing)
                        .build());
            }
            if (response.getError() != ErrorCode.STALE_DEVICES) {
                if (response.getError() == ErrorCode.NOT_FOUND) {
                    throw new UnknownUserException("The account of " + recipient + " no longer exists.");
                }
                Responses.checkOk(response);
                return true;
            }
            StaleDevices stale = Responses.parse(response, StaleDevices.parser());
            for (int device : stale.getExtraList()) {
                store.deleteSession(new SignalProtocolAddress(name, device));
            }
            for (int device : stale.getStaleList()) {
                store.deleteSession(new SignalProtocolAddress(name, device));
            }
            Set<Integer> needed = new TreeSet<>(stale.getMissingList());
            needed.addAll(stale.getStaleList());
            if (!needed.isEmpty()) {
                startSessions(recipient, destination, needed);
            }
        }
        throw new ServerRejectedException(ErrorCode.STALE_DEVICES,
                "The devices of " + recipient + " kept changing while sending; try again.");
    }

    /**
     * Runs {@code work} while no other encryption or decryption of this account runs: libsignal
     * loads a session, advances it and stores it, and a daemon encrypts for several callers and
     * decrypts pushes at once. The database's transaction lock is that one lock (decryption
     * stores in a transaction). Never hold it over a network request.
     */
    <T, E extends Exception> T exclusively(AccountDatabase.Work<T, E> work) throws E {
        return db.inTransaction(work);
    }

    private List<OutgoingMessage> encrypt(String recipient, String name, byte[] plaintext) throws ClientException {
        return exclusively(() -> {
            List<OutgoingMessage> outgoing = new ArrayList<>();
            for (int device : store.sessionDevices(name)) {
                SessionCipher cipher = new SessionCipher(store, new SignalProtocolAddress(name, device));
                CiphertextMessage ciphertext;
                try {
                    ciphertext = cipher.encrypt(plaintext);
                } catch (UntrustedIdentityException e) {
                    throw new UntrustedIdentityError(recipient);
                } catch (NoSessionException e) {
                    throw new LocalFailureException("The session with a device of " + recipient + " vanished.", e);
                }
                outgoing.add(OutgoingMessage.newBuilder()
                        .setDeviceId(device)
                        .setRegistrationId(cipher.getRemoteRegistrationId())
                        .setType(ciphertext.getType() == CiphertextMessage.PREKEY_TYPE
                                ? EnvelopeType.PREKEY_MESSAGE : EnvelopeType.CIPHERTEXT)
                        .setContent(ByteString.copyFrom(ciphertext.serialize()))
                        .build());
            }
            return outgoing;
        });
    }

    private List<OutgoingMessage> encryptSealed(String recipient, String name, byte[] plaintext) throws ClientException {
        SenderCertificate certificate = senderCertificate(); // may ask the server: before taking the lock
        SealedSessionCipher cipher = new SealedSessionCipher(store, settings.accountId(), null, settings.deviceId());
        return exclusively(() -> {
            List<OutgoingMessage> outgoing = new ArrayList<>();
            for (int device : store.sessionDevices(name)) {
                SignalProtocolAddress address = new SignalProtocolAddress(name, device);
                byte[] ciphertext;
                try {
                    ciphertext = cipher.encrypt(address, certificate, plaintext);
                } catch (UntrustedIdentityException e) {
                    throw new UntrustedIdentityError(recipient);
                } catch (InvalidKeyException e) {
                    throw new LocalFailureException("The session with a device of " + recipient + " is damaged.", e);
                }
                outgoing.add(OutgoingMessage.newBuilder()
                        .setDeviceId(device)
                        .setRegistrationId(cipher.getRemoteRegistrationId(address))
                        .setType(EnvelopeType.UNIDENTIFIED_SENDER)
                        .setContent(ByteString.copyFrom(ciphertext))
                        .build());
            }
            return outgoing;
        });
    }

    /** A sender certificate with at least an hour left, fetched from the server when needed. */
    SenderCertificate senderCertificate() throws ClientException {
        Optional<byte[]> cached = settings.senderCertificate();
        if (cached.isPresent()) {
            try {
                SenderCertificate certificate = new SenderCertificate(cached.get());
                if (certificate.getExpiration() - clock.millis() > CERTIFICATE_MARGIN.toMillis()) {
                    return certificate;
                }
            } catch (InvalidCertificateException e) {
                log.warn("the cached sender certificate is unreadable; fetching a new one");
            }
        }
        SenderCertificateResponse response = Responses.parse(Responses.checkOk(connections.call(
                ApiPaths.SENDER_CERTIFICATE, SenderCertificateRequest.getDefaultInstance())),
                SenderCertificateResponse.parser());
        try {
            SenderCertificate certificate = new SenderCertificate(response.getCertificate().toByteArray());
            settings.storeSenderCertificate(certificate.getSerialized());
            return certificate;
        } catch (InvalidCertificateException e) {
            throw new ServerRejectedException(ErrorCode.MALFORMED, "The server issued an unreadable sender certificate.");
        }
    }

    /** Fetches bundles and builds sessions with the account's devices ({@code only} empty: all of them). */
    void startSessions(String recipient, UUID destination, Set<Integer> only) throws ClientException {
        Response response = connections.call(ApiPaths.KEYS_BUNDLE,
                PreKeyBundleRequest.newBuilder().setAccountId(Uuids.toByteString(destination)).build());
        if (response.getError() == ErrorCode.NOT_FOUND) {
            throw new UnknownUserException("The account of " + recipient + " no longer exists.");
        }
        PreKeyBundleResponse bundles = Responses.parse(Responses.checkOk(response), PreKeyBundleResponse.parser());
        if (bundles.getDevicesCount() == 0) {
            throw new ServerRejectedException(ErrorCode.NOT_FOUND, recipient + " has no device that can receive.");
        }
        Optional<SignalProtocolAddress> untrusted = exclusively(() -> buildSessions(recipient, destination, only, bundles));
        if (untrusted.isPresent()) {
            // Remember the new key as untrusted so the user can inspect and accept it: outside the
            // transaction above, which the refusal that follows would roll back.
            store.saveIdentity(untrusted.get(), identityKeyOf(recipient, bundles));
            throw new UntrustedIdentityError(recipient);
        }
    }

    /** Builds the sessions; stops at a device whose identity key is not trusted and names it. */
    private Optional<SignalProtocolAddress> buildSessions(String recipient, UUID destination, Set<Integer> only,
                                                         PreKeyBundleResponse bundles) throws ClientException {
        IdentityKey identityKey = identityKeyOf(recipient, bundles);
        try {
            for (DeviceBundle device : bundles.getDevicesList()) {
                if (!only.isEmpty() && !only.contains(device.getDeviceId())) {
                    continue;
                }
                PreKeyBundle bundle = PreKeyBundles.of(identityKey, device);
                SignalProtocolAddress address = new SignalProtocolAddress(destination.toString(), device.getDeviceId());
                try {
                    new SessionBuilder(store, address).process(bundle);
                } catch (UntrustedIdentityException e) {
                    return Optional.of(address);
                }
            }
            return Optional.empty();
        } catch (InvalidKeyException e) {
            throw keysDoNotVerify(recipient);
        }
    }

    private static IdentityKey identityKeyOf(String recipient, PreKeyBundleResponse bundles) throws ClientException {
        try {
            return new IdentityKey(bundles.getIdentityKey().toByteArray());
        } catch (InvalidKeyException e) {
            throw keysDoNotVerify(recipient);
        }
    }

    private static ServerRejectedException keysDoNotVerify(String recipient) {
        return new ServerRejectedException(ErrorCode.MALFORMED,
                "The server handed out keys for " + recipient + " that do not verify.");
    }

    /** Files must be readable before anything is uploaded or sent. */
    static void checkReadable(List<Path> files) throws UserInputException {
        for (Path file : files) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new UserInputException("Cannot read the file " + file + ".");
            }
        }
    }

    /** Encrypts each file here and uploads the ciphertext along the route the connection took. */
    List<AttachmentPointer> uploadAttachments(List<Path> files, boolean voiceNote) throws ClientException {
        List<AttachmentPointer> pointers = new ArrayList<>();
        for (Path file : files) {
            pointers.add(uploadAttachment(file, voiceNote));
        }
        return pointers;
    }

    /**
     * Copies of a sent message's files in the account's attachment folder, so its conversation
     * still shows them once the originals are moved or gone. A copy that cannot be made (a full
     * disk) says so in its error; the message is sent all the same.
     */
    List<ReceivedAttachment> keepSentCopies(List<Path> files, List<AttachmentPointer> pointers, long timestamp) {
        return Attachments.keepSent(files, pointers, db.directory().resolve(ATTACHMENT_DIRECTORY), timestamp);
    }

    private AttachmentPointer uploadAttachment(Path file, boolean voiceNote) throws ClientException {
        Route route = connections.winningRoute();
        try {
            return Attachments.upload(settings.server(), route, settings.credentials(),
                    settings.flowLimit().orElse(0), file, voiceNote,
                    db.directory().resolve(ATTACHMENT_DIRECTORY), transferProgress);
        } catch (ConnectionException e) {
            throw new NetworkException("Uploading " + file.getFileName() + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LocalFailureException("Cannot encrypt " + file.getFileName() + ": " + e.getMessage(), e);
        }
    }
}
