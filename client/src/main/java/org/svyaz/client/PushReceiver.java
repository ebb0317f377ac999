// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import com.google.protobuf.InvalidProtocolBufferException;
import org.signal.libsignal.metadata.InvalidMetadataMessageException;
import org.signal.libsignal.metadata.ProtocolDuplicateMessageException;
import org.signal.libsignal.metadata.ProtocolException;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.net.PushHandler;
import org.svyaz.client.net.Route;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalMessages.StoredFile;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.client.store.TrustLevel;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.content.GroupContext;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;

/**
 * Takes the server's pushes on the authenticated connection: decrypts each envelope and stores the
 * message in the same transaction as the decryption's session update, exactly once per envelope
 * id, fetches the files it carries when they come from someone this account wrote to (a
 * stranger's wait for {@link #fetchOnRequest}), and only then answers OK so the server may delete
 * it. Tells
 * the receive loop ({@link ReceiveLoop}) when something arrived and when the queue ran empty.
 */
final class PushReceiver implements PushHandler {
    private static final Logger log = LoggerFactory.getLogger(PushReceiver.class);
    /** Shown as the sender of a sealed message whose sender could not be established. */
    static final UUID UNKNOWN_SENDER = new UUID(0, 0);
    /** Messages whose files are fetched at the same time (each file on several flows of its own). */
    static final int DOWNLOADS_AT_ONCE = 2;
    /** How long closing waits for downloads to note where they stopped. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final AccountSettings settings;
    private final AccountDatabase db;
    private final SqliteSignalStore store;
    private final LocalMessages messages;
    private final GroupInbox groups;
    private final IncomingSignals incoming;
    private final Clock clock;
    private final LinkedBlockingQueue<Boolean> arrivals = new LinkedBlockingQueue<>();
    /** Stored messages whose files are still being fetched: not shown until they are in. */
    private final Set<Long> downloading = ConcurrentHashMap.newKeySet();
    /**
     * Where received files are fetched: beside the pushes, never in their way, so a slow file
     * holds back no message after it.
     */
    private final ExecutorService downloads =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("svyaz-download-", 0).factory());
    /** Messages whose files are fetched at once; the rest wait their turn, in order of arrival. */
    private final Semaphore downloadTurns = new Semaphore(DOWNLOADS_AT_ONCE, true);
    private volatile CompletableFuture<Void> queueEmpty = new CompletableFuture<>();
    private volatile TransferProgress transferProgress = TransferProgress.NONE;

    PushReceiver(AccountSettings settings, AccountDatabase db, SqliteSignalStore store, LocalMessages messages,
                 GroupInbox groups, IncomingSignals incoming, Clock clock) {
        this.settings = settings;
        this.db = db;
        this.store = store;
        this.messages = messages;
        this.groups = groups;
        this.incoming = incoming;
        this.clock = clock;
    }

    void onTransferProgress(TransferProgress listener) {
        transferProgress = listener;
    }

    /** A new connection is about to open: the queue it delivers has not been emptied yet. */
    void connectionStarting() {
        queueEmpty = new CompletableFuture<>();
    }

    /** Whether the server said the current connection's queue is delivered. */
    boolean queueEmptied() {
        return queueEmpty.isDone();
    }

    /** Waits up to {@code nanos} for a push; true if one came (or came since the last call). */
    boolean awaitArrival(long nanos) throws InterruptedException {
        Boolean arrived = arrivals.poll(nanos, TimeUnit.NANOSECONDS);
        if (arrived == null) {
            return false;
        }
        arrivals.clear();
        return true;
    }

    /** Local ids of stored messages whose files are still coming (a live view). */
    Set<Long> downloading() {
        return downloading;
    }

    @Override
    public Response onPush(Request push) {
        return onPush(push, Optional.empty());
    }

    @Override
    public Response onPush(Request push, Route route) {
        return onPush(push, Optional.of(route));
    }

    private Response onPush(Request push, Optional<Route> route) {
        Response ok = Response.newBuilder().setError(ErrorCode.OK).build();
        switch (push.getPath()) {
            case ApiPaths.PUSH_QUEUE_EMPTY -> {
                queueEmpty.complete(null);
                arrivals.offer(Boolean.TRUE);
                return ok;
            }
            case ApiPaths.PUSH_MESSAGE -> {
                try {
                    Envelope envelope = Envelope.parseFrom(push.getBody());
                    store(envelope, route);
                    arrivals.offer(Boolean.TRUE);
                    return ok;
                } catch (InvalidProtocolBufferException e) {
                    log.warn("the server pushed an unreadable envelope; dropping it");
                    return ok;
                } catch (LocalStoreException e) {
                    // Not acknowledged: the server keeps the message until we can store it.
                    log.error("cannot store a received message; it stays on the server", e);
                    return Response.newBuilder().setError(ErrorCode.UNAVAILABLE).build();
                }
            }
            default -> {
                return Response.newBuilder().setError(ErrorCode.NOT_FOUND).build();
            }
        }
    }

    /**
     * Fetches the files of received message {@code localId} that are not downloaded yet (from a
     * stranger, or after a broken download), along {@code route}; returns all its files as they
     * are now. One request at a time, so two never fetch the same file twice.
     */
    synchronized List<ReceivedAttachment> fetchOnRequest(long localId, Route route) throws UserInputException {
        if (downloading.contains(localId)) {
            throw new UserInputException("The files of message " + localId + " are being downloaded already.");
        }
        Optional<LocalMessages.FilesOf> stored = messages.storedFiles(localId);
        if (stored.isEmpty()) {
            throw new UserInputException("No received message has the id " + localId + ".");
        }
        List<StoredFile> files = Attachments.download(settings.server(), Optional.of(route), settings.credentials(),
                settings.flowLimit().orElse(0), db.directory().resolve(MessageSender.ATTACHMENT_DIRECTORY), stored.get().timestamp(),
                stored.get().files(), transferProgress);
        if (!keepFiles(localId, stored.get().files(), files)) {
            throw new UserInputException("The message " + localId + " was deleted meanwhile.");
        }
        return files.stream().map(StoredFile::attachment).toList();
    }

    /**
     * Records the files of message {@code localId} as they are after a download; false when the
     * message was deleted meanwhile, and then the files it fetched are deleted too: they must not
     * outlive it.
     */
    private boolean keepFiles(long localId, List<StoredFile> before, List<StoredFile> after) {
        if (messages.setAttachmentsIfPresent(localId, after)) {
            return true;
        }
        for (StoredFile file : after) {
            if (!before.contains(file)) {
                file.attachment().path().ifPresent(PushReceiver::deleteQuietly);
            }
        }
        return false;
    }

    /**
     * Stops the downloads under way; each notes its files as not downloaded (fetchable on
     * request) before the database closes.
     */
    void close() {
        downloads.shutdownNow();
        try {
            if (!downloads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("downloads did not stop within {} s", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete a file of a deleted message: {}", e.getClass().getSimpleName());
        }
    }

    /** Who sent a decrypted message, and what. */
    private record Decrypted(UUID source, int sourceDevice, byte[] plaintext) {}

    /** A message that could not be decrypted; the sender is known only for identified envelopes. */
    private static final class UndecryptableException extends Exception {
        final UUID source;
        final int sourceDevice;

        UndecryptableException(UUID source, int sourceDevice, String message) {
            super(message, null, false, false);
            this.source = source;
            this.sourceDevice = sourceDevice;
        }
    }

    /** A replay of a message already decrypted. */
    private static final class DuplicateException extends Exception {
        DuplicateException() {
            super(null, null, false, false);
        }
    }

    /**
     * Decrypts and stores one envelope, exactly once per envelope id; the files it carries are
     * then fetched beside the pushes ({@link #fetchInBackground}), so the server is told at once
     * and the messages after it are not held back. The message is shown when its files are in.
     */
    private void store(Envelope envelope, Optional<Route> route) {
        List<StoredFile> toFetch = new ArrayList<>();
        long[] localId = {-1};
        boolean handedOver = false;
        try {
            storeDecrypted(envelope, toFetch, localId);
            if (incoming.takeErased()) {
                db.checkpoint(); // an edit or delete for everyone replaced text: no copy may stay in the WAL
            }
            if (!toFetch.isEmpty() && localId[0] >= 0) {
                handedOver = fetchInBackground(localId[0], envelope.getTimestamp(), toFetch, route);
            }
        } finally {
            if (localId[0] >= 0 && !handedOver) {
                downloading.remove(localId[0]);
            }
        }
    }

    /**
     * Fetches the files of message {@code localId} on a thread of its own, along the route the
     * message came in on (the connection that carries it may not be handed to this client yet when
     * the first pushes arrive). False when downloads have stopped (the client is closing): the
     * files stay fetchable on request.
     */
    private boolean fetchInBackground(long localId, long timestamp, List<StoredFile> toFetch, Optional<Route> route) {
        try {
            downloads.execute(() -> {
                try {
                    downloadTurns.acquire();
                    try {
                        keepFiles(localId, toFetch, Attachments.download(settings.server(), route,
                                settings.credentials(), settings.flowLimit().orElse(0),
                                db.directory().resolve(MessageSender.ATTACHMENT_DIRECTORY), timestamp, toFetch,
                                transferProgress));
                    } finally {
                        downloadTurns.release();
                    }
                } catch (InterruptedException e) {
                    // Closing before this message's turn came: its files stay as stored, fetchable on request.
                } catch (RuntimeException e) {
                    log.error("a download failed; the file stays fetchable on request", e);
                } finally {
                    downloading.remove(localId);
                    arrivals.offer(Boolean.TRUE); // the message may be shown now
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void storeDecrypted(Envelope envelope, List<StoredFile> toFetch, long[] localId) {
        byte[] guid = envelope.getGuid().toByteArray();
        db.inTransaction(() -> {
            if (messages.isReceived(guid)) {
                return null;
            }
            try {
                Decrypted decrypted = decrypt(envelope);
                Content content = Content.parseFrom(decrypted.plaintext());
                if (content.getProfileKey().size() == 32) {
                    messages.putProfileKey(decrypted.source(), content.getProfileKey().toByteArray());
                }
                if (!content.getSenderKeyDistributionMessage().isEmpty()) {
                    groups.processSenderKey(decrypted.source(), decrypted.sourceDevice(),
                            content.getSenderKeyDistributionMessage().toByteArray());
                }
                boolean untrusted = store.identity(decrypted.source().toString())
                        .map(r -> r.trust() == TrustLevel.UNTRUSTED).orElse(false);
                if (IncomingSignals.isSignal(content)) {
                    // A signal about a group's message (a reaction, edit or delete), or typing in a group, counts only from a member of it.
                    Optional<String> refused = IncomingSignals.group(content)
                            .flatMap(group -> refusedGroupSignal(decrypted.source(), group));
                    if (refused.isPresent()) {
                        log.warn("dropped a group signal: {}", refused.get());
                        messages.markReceived(guid, clock.millis());
                        return null;
                    }
                    incoming.apply(decrypted.source(), content.getSenderUsername().isEmpty() ? null
                            : content.getSenderUsername(), decrypted.sourceDevice(), envelope.getTimestamp(),
                            envelope.getServerTimestamp(), untrusted, content);
                    messages.markReceived(guid, clock.millis());
                    return null;
                }
                if (content.hasDataMessage()) {
                    storeData(envelope, decrypted, content, untrusted, toFetch, localId);
                    if (!toFetch.isEmpty() && localId[0] >= 0) {
                        // Before the commit, so a receive loop woken by an earlier push cannot
                        // show the message while its files are still on the way.
                        downloading.add(localId[0]);
                    }
                }
            } catch (DuplicateException e) {
                // Already decrypted once; only the envelope id is new.
            } catch (UndecryptableException e) {
                messages.insert(e.source, null, e.sourceDevice, envelope.getTimestamp(), envelope.getServerTimestamp(),
                        null, e.getMessage(), false);
            } catch (InvalidProtocolBufferException e) {
                messages.insert(UNKNOWN_SENDER, null, 0, envelope.getTimestamp(), envelope.getServerTimestamp(),
                        null, "A message arrived in a format this version cannot read.", false);
            }
            messages.markReceived(guid, clock.millis());
            return null;
        });
    }

    /** Why a signal about a group's message is dropped; empty when its sender, a member, may send it. */
    private Optional<String> refusedGroupSignal(UUID sender, GroupContext group) {
        if (group.hasState()) {
            // Changes travel as group updates, which are shown; accept() would apply this one unseen.
            return Optional.of("a group signal that carries a group change");
        }
        return groups.accept(sender, group) instanceof GroupInbox.Verdict.Refused refused
                ? Optional.of(refused.reason())
                : Optional.empty();
    }

    /**
     * Stores a decrypted data message; a group message only if the group's rules let it in. Its
     * files go into {@code toFetch} when they are to be fetched now: only from someone this
     * account wrote to (in this conversation, or in this group), so a stranger cannot make this
     * device download anything before the user asks.
     */
    private void storeData(Envelope envelope, Decrypted decrypted, Content content, boolean untrusted,
                           List<StoredFile> toFetch, long[] localId) {
        DataMessage data = content.getDataMessage();
        String claimedUsername = content.getSenderUsername().isEmpty() ? null : content.getSenderUsername();
        // A sender that retries keeps the timestamp, inside the encryption and on the envelope alike:
        // a second copy is dropped. Only when both agree, so a server that rewrites envelope
        // timestamps cannot make one message hide another.
        if (data.getTimestamp() == envelope.getTimestamp()
                && messages.hasMessage(decrypted.source(), decrypted.sourceDevice(), envelope.getTimestamp())) {
            return;
        }
        if (data.hasGroup()) {
            GroupInbox.Verdict verdict = groups.accept(decrypted.source(), data.getGroup());
            if (verdict instanceof GroupInbox.Verdict.Refused refused) {
                log.warn("dropped a group message: {}", refused.reason());
                return;
            }
            boolean update = ((GroupInbox.Verdict.Accepted) verdict).update();
            byte[] groupId = data.getGroup().getId().toByteArray();
            localId[0] = messages.insert(decrypted.source(), claimedUsername, decrypted.sourceDevice(),
                    envelope.getTimestamp(), envelope.getServerTimestamp(), update ? null : data.getBody(), null,
                    untrusted, 0, false, List.of(), groupId, update);
            if (!update) {
                incoming.groupMessageStored(localId[0], decrypted.source(), envelope.getTimestamp(), data, untrusted);
            }
            storeFiles(localId[0], data.getAttachmentsList(), messages.wroteTo(decrypted.source(), groupId), toFetch);
            return;
        }
        // The newest message's timer is the conversation's timer, whoever set it.
        if (messages.expireSeconds(decrypted.source()) != data.getExpireTimer()) {
            messages.setExpireSeconds(decrypted.source(), data.getExpireTimer());
        }
        localId[0] = messages.insert(decrypted.source(), claimedUsername,
                decrypted.sourceDevice(), envelope.getTimestamp(), envelope.getServerTimestamp(),
                data.getExpirationTimerUpdate() ? null : data.getBody(), null, untrusted,
                data.getExpireTimer(), data.getExpirationTimerUpdate(), List.of());
        incoming.messageStored(localId[0], decrypted.source(), envelope.getTimestamp(), data, untrusted);
        storeFiles(localId[0], data.getAttachmentsList(), messages.wroteTo(decrypted.source(), null), toFetch);
    }

    /** Records a stored message's files as they arrived (see {@link Attachments#arrived}); a contact's go into {@code toFetch}. */
    private void storeFiles(long localId, List<AttachmentPointer> pointers, boolean fromContact,
                            List<StoredFile> toFetch) {
        if (pointers.isEmpty()) {
            return;
        }
        List<StoredFile> files = Attachments.arrived(pointers, fromContact);
        messages.setAttachments(localId, files);
        if (fromContact && files.stream().anyMatch(f -> f.pointer().isPresent())) {
            toFetch.addAll(files);
        }
    }

    private Decrypted decrypt(Envelope envelope) throws DuplicateException, UndecryptableException {
        if (envelope.getType() == EnvelopeType.UNIDENTIFIED_SENDER) {
            return decryptSealed(envelope);
        }
        UUID source = Uuids.fromByteString(envelope.getSourceAccount());
        SessionCipher cipher = new SessionCipher(store, new SignalProtocolAddress(source.toString(),
                envelope.getSourceDevice()));
        try {
            byte[] plaintext = envelope.getType() == EnvelopeType.PREKEY_MESSAGE
                    ? cipher.decrypt(new PreKeySignalMessage(envelope.getContent().toByteArray()))
                    : cipher.decrypt(new SignalMessage(envelope.getContent().toByteArray()));
            return new Decrypted(source, envelope.getSourceDevice(), plaintext);
        } catch (DuplicateMessageException e) {
            throw new DuplicateException();
        } catch (LocalStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new UndecryptableException(source, envelope.getSourceDevice(),
                    "A message could not be decrypted (" + e.getClass().getSimpleName() + ").");
        }
    }

    /**
     * Sealed: the envelope names no sender; the sender certificate inside is checked against the
     * trust root from the invite link at the time the server received the message.
     */
    private Decrypted decryptSealed(Envelope envelope) throws DuplicateException, UndecryptableException {
        if (settings.server().descriptor().getSealedSenderTrustRoot().isEmpty()) {
            throw new UndecryptableException(UNKNOWN_SENDER, 0,
                    "A sealed message arrived, but this server's invite link names no sealed-sender trust root.");
        }
        try {
            CertificateValidator validator = new CertificateValidator(
                    new ECPublicKey(settings.server().descriptor().getSealedSenderTrustRoot().toByteArray()));
            SealedSessionCipher.DecryptionResult result = new SealedSessionCipher(store, settings.accountId(), null, settings.deviceId())
                    .decrypt(validator, envelope.getContent().toByteArray(), envelope.getServerTimestamp());
            return new Decrypted(UUID.fromString(result.getSenderUuid()), result.getDeviceId(), result.getPaddedMessage());
        } catch (ProtocolDuplicateMessageException e) {
            throw new DuplicateException();
        } catch (InvalidMetadataMessageException e) {
            // Forged, expired or otherwise invalid sender certificate: the sender is not established.
            throw new UndecryptableException(UNKNOWN_SENDER, 0,
                    "A sealed message was discarded: its sender certificate is invalid or expired.");
        } catch (ProtocolException e) {
            UUID sender = parseUuidOrUnknown(e.getSender());
            throw new UndecryptableException(sender, e.getSenderDevice(),
                    "A sealed message could not be decrypted (" + e.getClass().getSimpleName() + ").");
        } catch (LocalStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new UndecryptableException(UNKNOWN_SENDER, 0,
                    "A sealed message could not be decrypted (" + e.getClass().getSimpleName() + ").");
        }
    }

    private static UUID parseUuidOrUnknown(String text) {
        try {
            return text == null ? UNKNOWN_SENDER : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return UNKNOWN_SENDER;
        }
    }
}
