// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import com.google.protobuf.ByteString;
import org.svyaz.client.api.CallRecord;
import org.svyaz.client.api.CallStep;
import org.svyaz.client.api.TurnServers;
import org.svyaz.client.api.ChatSummary;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.client.api.ContactInfo;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.GroupDetails;
import org.svyaz.client.api.GroupReceiptState;
import org.svyaz.client.api.IdentityInfo;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.SendResult;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.net.Route;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.GroupStore;
import org.svyaz.client.store.LocalCalls;
import org.svyaz.client.store.LocalConversations;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyCountResponse;
import org.svyaz.protocol.wire.SealedSenderAccess;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SetProfileRequest;
import org.svyaz.protocol.wire.TurnCredentials;
import org.svyaz.protocol.wire.TurnCredentialsRequest;

/**
 * One registered account on this device: register, send, receive, identities. The facade the CLI
 * (and any other front end) uses; the work is done by parts with one job each, wired here:
 * {@link AccountSettings} (who the account is), {@link Connections} (the connections and their
 * route race), {@link ContactDirectory} (who is who), {@link MessageSender} (sessions, sealed or
 * identified sends, retries), {@link GroupMessaging} and {@link OutgoingSignals} (on top of the
 * sender), {@link PushReceiver} (decrypt, store, acknowledge), {@link ReceiveLoop} (show what
 * arrived) and {@link Identities}. No part knows this facade.
 *
 * <p>Received messages are first stored in the local database together with their envelope id, in
 * the same transaction as the decryption's session update, and only then acknowledged to the
 * server. A message is shown from the local inbox and marked shown afterwards, so a crash at any
 * point neither loses a message nor (beyond the instant between showing and marking) repeats one.
 */
public final class SvyazClient implements AutoCloseable {
    public static final String ACCOUNT_FILE = Registration.ACCOUNT_FILE;
    /** Shown as the sender of a sealed message whose sender could not be established. */
    public static final UUID UNKNOWN_SENDER = PushReceiver.UNKNOWN_SENDER;

    private final AccountDatabase db;
    private final AccountSettings settings;
    private final LocalMessages messages;
    private final LocalSignals signals;
    private final LocalConversations conversations;
    /** Timestamps of messages this device sends: unique, as they name the messages. */
    private final Clock messageClock;
    private final Connections connections;
    private final ContactDirectory contacts;
    private final MessageSender sender;
    private final GroupMessaging groups;
    private final OutgoingSignals outgoing;
    private final PushReceiver receiver;
    private final LocalCalls calls;
    private final CallRoutes callRoutes;
    private final ReceiveLoop receiveLoop;
    private final Identities identities;

    private SvyazClient(AccountDatabase db, Clock clock) throws ClientException {
        this.db = db;
        this.messageClock = new UniqueMillisClock(clock);
        this.settings = new AccountSettings(db);
        UUID self = settings.accountId();
        SqliteSignalStore store = new SqliteSignalStore(db, clock);
        PreKeyGenerator preKeys = new PreKeyGenerator(db, store, clock);
        GroupStore groupStore = new GroupStore(db);
        GroupInbox groupInbox = new GroupInbox(groupStore, store, self);
        this.messages = new LocalMessages(db);
        this.signals = new LocalSignals(db);
        this.conversations = new LocalConversations(db);
        this.calls = new LocalCalls(db);
        this.callRoutes = new CallRoutes(settings);
        this.receiver = new PushReceiver(settings, db, store, messages, groupInbox,
                new IncomingSignals(signals, calls, self), clock);
        this.connections = new Connections(settings, receiver, receiver::connectionStarting, clock);
        this.contacts = new ContactDirectory(connections, settings, messages, clock);
        this.sender = new MessageSender(connections, settings, db, store, messages, clock);
        this.groups = new GroupMessaging(connections, sender, contacts, groupInbox, groupStore, store, messages,
                messageClock, self, settings.deviceId());
        this.outgoing = new OutgoingSignals(signals, messages, messageClock, self, contacts::resolve,
                sender::sendToContact, groups::send, groups::sendEdit, db::checkpoint);
        this.receiveLoop = new ReceiveLoop(connections, receiver, contacts, outgoing, db, messages, signals, preKeys,
                clock);
        this.identities = new Identities(connections, contacts, settings, db, store, messages, preKeys);
    }

    // ---------------------------------------------------------------- registration

    /**
     * Registers a new account on the server of {@code link} and stores it under
     * {@code accountsRoot/<username>}. {@code requestedUsername} is either {@code nickname.NN} or a
     * bare nickname, for which free digits are picked.
     */
    public static SvyazClient register(Path accountsRoot, InviteLink link, String requestedUsername, Clock clock)
            throws ClientException {
        return register(accountsRoot, link, List.of(), requestedUsername, clock);
    }

    /** Registers through {@code relays} when the server cannot be reached directly; they are kept for later. */
    public static SvyazClient register(Path accountsRoot, InviteLink link, List<RelayLink> relays,
                                       String requestedUsername, Clock clock) throws ClientException {
        return open(Registration.register(accountsRoot, link, relays, requestedUsername, clock), clock);
    }

    /** Opens an account registered earlier. */
    public static SvyazClient open(Path accountDir, Clock clock) throws ClientException {
        if (!Files.isRegularFile(accountDir.resolve(ACCOUNT_FILE))) {
            throw new UserInputException("No account is registered in " + accountDir + ".");
        }
        AccountDatabase db = Registration.openDatabase(accountDir.resolve(ACCOUNT_FILE));
        try {
            SvyazClient client = new SvyazClient(db, clock);
            client.deleteExpiredMessages();
            return client;
        } catch (ClientException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public String username() {
        return settings.username();
    }

    public UUID accountId() {
        return settings.accountId();
    }

    /** This device's credentials, for the server's plain-HTTP paths (attachments). */
    DeviceCredentials credentials() {
        return settings.credentials();
    }

    /** The sending part, for tests in this package that repeat exactly what a retry sends. */
    MessageSender sender() {
        return sender;
    }

    // ---------------------------------------------------------------- connection

    /** Who hears how attachment uploads and downloads advance (the CLI draws progress from it). */
    public void onTransferProgress(TransferProgress listener) {
        TransferProgress progress = listener == null ? TransferProgress.NONE : listener;
        sender.onTransferProgress(progress);
        receiver.onTransferProgress(progress);
    }

    /** Whether this account reaches the server only through relays (see {@link #setRelaysOnly}). */
    public boolean relaysOnly() {
        return settings.relaysOnly();
    }

    /**
     * Reach the server only through relays: no DNS lookup of its name, no packet to its addresses,
     * so a censor watching this device sees only connections to ordinary-looking web sites.
     */
    public void setRelaysOnly(boolean relaysOnly) throws ClientException {
        settings.setRelaysOnly(relaysOnly);
        connections.reconnectLater();
    }

    /**
     * The key ({@link Route#key()}) of the route that last won, or that the probe
     * recommended, on the network the device is on now; it is started first next time.
     */
    public Optional<String> preferredRoute() {
        return settings.preferredRoute();
    }

    /**
     * Makes the route with this key the one started first on the current network, as if it had
     * won last time; {@code svyaz probe} calls it with the first route it found working. A key
     * that names none of this account's routes is refused, so a typo cannot shadow the real one.
     */
    public void preferRoute(String routeKey) throws ClientException {
        settings.preferRoute(routeKey);
    }

    /** Connects if needed and tells which route carries the connection and why earlier ones failed. */
    public ConnectionStatus status() throws ClientException {
        return connections.status();
    }

    /**
     * The server as this client currently knows it (the stored, possibly refreshed, descriptor);
     * waits for a refresh under way, at most as long as the refresh itself may take.
     */
    public InviteLink server() {
        return connections.server();
    }

    /**
     * Relays to fall back on when the server cannot be reached directly: those the user added, in
     * order, then those the server's descriptor names.
     */
    public List<RelayLink> relays() {
        return settings.relays();
    }

    /** Adds a relay someone shared; it must belong to this account's server. */
    public void addRelay(RelayLink relay) throws ClientException {
        settings.addRelay(relay);
    }

    // ---------------------------------------------------------------- contacts

    /** The account behind a username, from the contacts or the server. */
    public UUID resolve(String recipient) throws ClientException {
        return contacts.resolve(recipient);
    }

    /** The account behind a username when this device knows it already (no request to the server). */
    public Optional<UUID> knownAccount(String username) {
        return contacts.known(username);
    }

    /** The username of an account: this one's, or a contact's confirmed one. */
    public Optional<String> usernameOf(UUID account) {
        return contacts.usernameOf(account);
    }

    // ---------------------------------------------------------------- sending

    /**
     * Sends a text to one user; returns once the server has stored it for every device of the
     * recipient. Sealed sender is used whenever the recipient's profile key is known (they wrote to
     * us before); otherwise the send is identified, which {@link SendResult#sealed()} reports.
     */
    public SendResult send(String recipient, String text) throws ClientException {
        return send(recipient, text, List.of());
    }

    /**
     * Sends a text with files: each is encrypted here and uploaded before the message, which
     * carries the keys; the server stores only ciphertext it cannot open.
     */
    public SendResult send(String recipient, String text, List<Path> files) throws ClientException {
        return send(recipient, text, files, Optional.empty());
    }

    /** Sends a text with files as a reply to an earlier message of the conversation ({@code quote}). */
    public SendResult send(String recipient, String text, List<Path> files, Optional<QuoteTarget> quote)
            throws ClientException {
        return send(recipient, text, files, quote, false);
    }

    /** As {@link #send(String, String, List, Optional)}; with {@code voiceNote} the files are recordings to play. */
    public SendResult send(String recipient, String text, List<Path> files, Optional<QuoteTarget> quote,
                           boolean voiceNote) throws ClientException {
        try {
            UUID destination = contacts.resolve(recipient);
            if (destination.equals(settings.accountId())) {
                // Encrypting to our own device would reuse one session for both directions.
                throw new UserInputException("Sending to yourself (Note to Self) is not supported yet.");
            }
            MessageSender.checkReadable(files);
            long timestamp = messageClock.millis();
            DataMessage.Builder data = DataMessage.newBuilder()
                    .setBody(text)
                    .setTimestamp(timestamp)
                    .setExpireTimer(messages.expireSeconds(destination));
            if (quote.isPresent()) {
                data.setQuote(outgoing.quote(recipient, destination, quote.get()));
            }
            List<AttachmentPointer> pointers = sender.uploadAttachments(files, voiceNote);
            DataMessage message = data.addAllAttachments(pointers).build();
            SendResult result = sendData(recipient, destination, message);
            outgoing.recordSent(destination, message, sender.keepSentCopies(files, pointers, timestamp));
            return result;
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- groups

    /**
     * Makes a group with this account as its admin and the given members, tells every member and
     * returns the group's id (base64, as the commands take it).
     */
    public String createGroup(String title, List<String> memberUsernames) throws ClientException {
        try {
            return groups.create(title, memberUsernames, settings.username()).toString();
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Changes a group (admins only): its title, members and admins, named by username. */
    public void updateGroup(String groupId, Optional<String> title, List<String> add, List<String> remove,
                            List<String> admins, List<String> revokeAdmins) throws ClientException {
        try {
            groups.update(groupId(groupId), new GroupMessaging.Change(title, add, remove, admins, revokeAdmins));
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Leaves a group; the other members start new sender keys, so later messages are not readable here. */
    public void quitGroup(String groupId) throws ClientException {
        try {
            groups.quit(groupId(groupId));
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** The groups this account is or was in. */
    public List<GroupDetails> listGroups() {
        return groups.list();
    }

    /**
     * Sends a text (and files) to a group: encrypted once with this device's sender key, handed to
     * the server in one request for every member device.
     */
    public SendResult sendToGroup(String groupId, String text, List<Path> files) throws ClientException {
        return sendToGroup(groupId, text, files, false);
    }

    /** As {@link #sendToGroup(String, String, List)}; with {@code voiceNote} the files are recordings to play. */
    public SendResult sendToGroup(String groupId, String text, List<Path> files, boolean voiceNote)
            throws ClientException {
        return sendToGroup(groupId, text, files, Optional.empty(), voiceNote);
    }

    /**
     * As {@link #sendToGroup(String, String, List, boolean)}, as a reply to a message of the group
     * ({@code quote}: by any member, or this account's own when it names no author).
     */
    public SendResult sendToGroup(String groupId, String text, List<Path> files, Optional<QuoteTarget> quote,
                                  boolean voiceNote) throws ClientException {
        try {
            GroupId id = groupId(groupId);
            MessageSender.checkReadable(files);
            DataMessage.Builder data = DataMessage.newBuilder().setBody(text).setTimestamp(messageClock.millis());
            if (quote.isPresent()) {
                data.setQuote(outgoing.quoteInGroup(id, quote.get()));
            }
            List<AttachmentPointer> pointers = sender.uploadAttachments(files, voiceNote);
            data.addAllAttachments(pointers);
            Set<UUID> recipients = groups.otherMembers(id);
            SendResult result = groups.send(id, data);
            signals.recordSentToGroup(id.bytes(), data.getTimestamp(), text == null || text.isEmpty() ? null : text,
                    sender.keepSentCopies(files, pointers, data.getTimestamp()), OutgoingSignals.quoteOf(data.build()),
                    recipients, messageClock.millis());
            return result;
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** A group's messages as stored here, oldest first (see {@link LocalConversations#groupConversation}). */
    public List<ConversationMessage> groupConversation(String groupId) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> conversations.groupConversation(id.bytes(), settings.accountId()));
    }

    /** A group's conversation in brief; empty when nothing was written in it. */
    public Optional<ChatSummary> groupSummary(String groupId) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> conversations.groupSummary(id.bytes(), settings.accountId()));
    }

    /**
     * This user read these messages of a group: marked read here, and unless read receipts are off
     * each author is told, one-to-one, as Signal does. Returns the receipts' results, one per author.
     */
    public List<SendResult> markReadInGroup(String groupId, List<Long> timestamps) throws ClientException {
        GroupId id = groupId(groupId);
        // Read here first: a receipt that cannot be sent now does not make the messages unread again.
        OutgoingSignals.guarded(() -> conversations.markReadInGroup(id.bytes(), timestamps, messageClock.millis()));
        if (!settings.readReceipts()) {
            return List.of();
        }
        return OutgoingSignals.guarded(() -> outgoing.readInGroup(id, timestamps));
    }

    /**
     * This account's group messages among {@code timestamps} with their receipts for the whole
     * group: what a receipt that named them changed (a receipt names no group).
     */
    public List<GroupReceiptState> groupReceiptStates(List<Long> timestamps) {
        return conversations.groupReceiptStates(timestamps);
    }

    private static GroupId groupId(String text) throws UserInputException {
        try {
            return GroupId.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /**
     * Sets the disappearing-message timer of the conversation with {@code recipient} (0 turns it
     * off) and tells them, so their client applies the same timer.
     */
    public SendResult setExpirationTimer(String recipient, int seconds) throws ClientException {
        if (seconds < 0) {
            throw new UserInputException("The expiration must be 0 (off) or a number of seconds.");
        }
        try {
            UUID destination = contacts.resolve(recipient);
            if (destination.equals(settings.accountId())) {
                throw new UserInputException("Sending to yourself (Note to Self) is not supported yet.");
            }
            messages.setExpireSeconds(destination, seconds);
            return sendData(recipient, destination, DataMessage.newBuilder()
                    .setTimestamp(messageClock.millis())
                    .setExpireTimer(seconds)
                    .setExpirationTimerUpdate(true)
                    .build());
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** The disappearing-message timer of the conversation with {@code contact}, in seconds (0: off). */
    public int expirationTimer(String contact) throws ClientException {
        return messages.expireSeconds(contacts.resolve(contact));
    }

    // ---------------------------------------------------------------- conversation signals

    /** Replaces the text of a message sent earlier, on the recipient's device and here. */
    public SendResult editMessage(String recipient, long targetTimestamp, String text) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.edit(recipient, targetTimestamp, text));
    }

    /**
     * Reacts with one emoji to the message {@code targetAuthor} sent at {@code targetTimestamp} in
     * the conversation with {@code recipient}; {@code remove} withdraws the reaction instead.
     */
    public SendResult sendReaction(String recipient, String emoji, String targetAuthor, long targetTimestamp,
                                   boolean remove) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.react(recipient, emoji, targetAuthor, targetTimestamp, remove));
    }

    /** Reacts to a message of a group's conversation (or withdraws the reaction), for every member. */
    public SendResult sendGroupReaction(String groupId, String emoji, String targetAuthor, long targetTimestamp,
                                        boolean remove) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> outgoing.reactInGroup(id, emoji, targetAuthor, targetTimestamp, remove));
    }

    /** Replaces the text of a message this account sent to a group, on every member's device and here. */
    public SendResult editGroupMessage(String groupId, long targetTimestamp, String text) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> outgoing.editInGroup(id, targetTimestamp, text));
    }

    /** Deletes a message this account sent to a group, for everyone. */
    public SendResult remoteDeleteInGroup(String groupId, long targetTimestamp) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> outgoing.remoteDeleteInGroup(id, targetTimestamp));
    }

    /** Deletes a message this account sent to {@code recipient}, for everyone. */
    public SendResult remoteDelete(String recipient, long targetTimestamp) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.remoteDelete(recipient, targetTimestamp));
    }

    /**
     * Tells {@code recipient} that messages they sent were read or viewed. Delivery receipts are
     * sent automatically by {@link #receive}.
     */
    public SendResult sendReceipt(String recipient, ReceiptType type, List<Long> timestamps) throws ClientException {
        SendResult result = OutgoingSignals.guarded(() -> outgoing.receipt(recipient, type, timestamps));
        if (type != ReceiptType.DELIVERY) {
            // Saying it was read means it was: the chat's unread count drops whether or not the receipt got through.
            UUID contact = contacts.resolve(recipient);
            OutgoingSignals.guarded(() -> conversations.markRead(contact, timestamps, messageClock.millis()));
        }
        return result;
    }

    /**
     * This user read these messages from {@code contact}: marked read here, and the contact is told
     * unless read receipts are off. Returns the receipt's result when one was sent.
     */
    public Optional<SendResult> markRead(String contact, List<Long> timestamps) throws ClientException {
        // Read here first: a receipt that cannot be sent now does not make the messages unread again.
        UUID account = contacts.resolve(contact);
        OutgoingSignals.guarded(() -> conversations.markRead(account, timestamps, messageClock.millis()));
        if (!settings.readReceipts()) {
            return Optional.empty();
        }
        return Optional.of(OutgoingSignals.guarded(() -> outgoing.receipt(contact, ReceiptType.READ, timestamps)));
    }

    /** Whether contacts are told what this user read (Signal's "read receipts"; on by default). */
    public boolean readReceipts() {
        return settings.readReceipts();
    }

    public void setReadReceipts(boolean on) throws ClientException {
        settings.setReadReceipts(on);
    }

    /** Whether contacts are told when this user types (on by default); the app asks before sending typing. */
    public boolean typingIndicators() {
        return settings.typingIndicators();
    }

    public void setTypingIndicators(boolean on) throws ClientException {
        settings.setTypingIndicators(on);
    }

    /** The one-to-one conversation with {@code contact} in brief; empty when no message was exchanged. */
    public Optional<ChatSummary> chatSummary(UUID contact) throws ClientException {
        return OutgoingSignals.guarded(() -> conversations.chatSummary(contact));
    }

    /** Whether calls take only relayed routes, so no contact learns this device's address (off by default). */
    public boolean alwaysRelayCalls() {
        return settings.alwaysRelayCalls();
    }

    public void setAlwaysRelayCalls(boolean on) throws ClientException {
        settings.setAlwaysRelayCalls(on);
    }

    /**
     * The server's TURN servers with fresh credentials, for a call about to start; empty when the
     * server has none (calls then connect only directly). A TLS one ({@code turns:}) is given as a
     * loopback bridge that pins the server's key (see {@link CallRoutes}).
     */
    public Optional<TurnServers> turnServers() throws ClientException {
        Response response = connections.call(ApiPaths.TURN_CREDENTIALS, TurnCredentialsRequest.getDefaultInstance());
        if (response.getError() == ErrorCode.NOT_FOUND) {
            return Optional.empty();
        }
        TurnCredentials credentials = Responses.parse(Responses.checkOk(response), TurnCredentials.parser());
        List<String> uris;
        try {
            uris = callRoutes.forBrowser(credentials.getUrisList());
        } catch (IOException e) {
            throw new LocalFailureException("Cannot open a local bridge to the TURN server: " + e.getMessage(), e);
        }
        return Optional.of(new TurnServers(uris, credentials.getUsername(),
                credentials.getPassword(), Instant.ofEpochMilli(credentials.getExpiresAt())));
    }

    /** Sends {@code recipient} one step of setting up a call (see {@link CallStep}); the call log notes it. */
    public SendResult sendCallMessage(String recipient, CallStep step) throws ClientException {
        SendResult sent = OutgoingSignals.guarded(() -> outgoing.call(recipient, step));
        Optional<UUID> peer = contacts.known(recipient);
        if (peer.isPresent()) {
            OutgoingSignals.guarded(() -> {
                calls.record(peer.get(), true, step, sent.timestamp());
                return null;
            });
        }
        return sent;
    }

    /** The newest {@code limit} calls with contacts, newest first: who, which way, when, and what became of each. */
    public List<CallRecord> callLog(int limit) throws ClientException {
        return OutgoingSignals.guarded(() -> calls.recent(limit, messageClock.millis()));
    }

    /** Tells {@code recipient} that this user started (or, with {@code stop}, stopped) typing. */
    public SendResult sendTyping(String recipient, boolean stop) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.typing(recipient, stop));
    }

    /**
     * Tells a group's members that this user started (or, with {@code stop}, stopped) typing in it;
     * one message for all of them, as a group message goes.
     */
    public SendResult sendTypingInGroup(String groupId, boolean stop) throws ClientException {
        GroupId id = groupId(groupId);
        return OutgoingSignals.guarded(() -> groups.sendTyping(id, stop));
    }

    /**
     * The conversation with {@code contact} as stored here: received and sent messages with their
     * edits, deletes, reactions and receipts, oldest first.
     */
    public List<ConversationMessage> conversation(String contact) throws ClientException {
        UUID account = contacts.resolve(contact);
        return OutgoingSignals.guarded(() -> conversations.conversation(account, settings.accountId()));
    }


    private SendResult sendData(String recipient, UUID destination, DataMessage data) throws ClientException {
        return sender.sendToContact(recipient, destination, Content.newBuilder().setDataMessage(data),
                data.getTimestamp());
    }

    // ---------------------------------------------------------------- receiving

    /**
     * A received file by its id, the name it was saved under in the account's attachment folder
     * (what {@code receive -o json} shows as {@code attachments[].id}); nothing outside that folder.
     */
    public Path receivedAttachment(String id) throws UserInputException {
        Path folder = db.directory().resolve(MessageSender.ATTACHMENT_DIRECTORY);
        Path file = folder.resolve(id).normalize();
        if (id.isBlank() || id.contains("/") || id.contains("\\") || !file.getParent().equals(folder.normalize())
                || !Files.isRegularFile(file)) {
            throw new UserInputException("No received attachment has the id '" + id + "'.");
        }
        return file;
    }

    /**
     * Fetches the files of received message {@code localId} ({@link ReceivedMessage#localId()})
     * that are {@link ReceivedAttachment.State#NOT_DOWNLOADED}: a stranger's, which are never
     * fetched unasked, or ones whose download broke off. Returns the message's files as they are
     * now; one that still could not be fetched says why in its error.
     */
    public List<ReceivedAttachment> fetchAttachments(long localId) throws ClientException {
        return receiver.fetchOnRequest(localId, connections.winningRoute());
    }

    /**
     * Connects, fetches what waits on the server and hands every new message to {@code sink}, until
     * no message has arrived for {@code idle} or {@code maxMessages} were shown.
     *
     * @return how many messages were shown
     */
    public int receive(Duration idle, int maxMessages, Consumer<ReceivedMessage> sink) throws ClientException {
        return receiveLoop.receive(idle, maxMessages, () -> true, sink);
    }

    /**
     * As {@link #receive(Duration, int, Consumer)}, for a long-running client whose audience comes
     * and goes (a daemon's bots): while {@code showNow} says no, messages are stored and
     * acknowledged but held back, and shown within a second of it saying yes.
     */
    public int receive(Duration idle, int maxMessages, BooleanSupplier showNow, Consumer<ReceivedMessage> sink)
            throws ClientException {
        return receiveLoop.receive(idle, maxMessages, showNow, sink);
    }

    /**
     * Deletes disappearing messages, received and sent, whose time is up. Rows are overwritten
     * (secure_delete) and the WAL is emptied, so the text is gone from the files, not only hidden.
     */
    public int deleteExpiredMessages() {
        return receiveLoop.deleteExpiredMessages();
    }

    // ---------------------------------------------------------------- profile and keys

    /** Sets this account's profile name, encrypted so that only contacts can read it. */
    public void setProfileName(String name) throws ClientException {
        if (name.isBlank()) {
            throw new UserInputException("A profile name cannot be empty.");
        }
        byte[] encrypted;
        try {
            encrypted = ProfileCipher.encryptName(settings.profileKey(), name.strip());
        } catch (IllegalArgumentException e) {
            throw new UserInputException("That name is too long (at most 257 bytes of UTF-8).", e);
        }
        Responses.checkOk(connections.call(ApiPaths.PROFILE_SET,
                SetProfileRequest.newBuilder().setNameCiphertext(ByteString.copyFrom(encrypted)).build()));
    }

    /** How many one-time EC and Kyber prekeys the server still holds for this device. */
    public KeyCountResponse serverKeyCounts() throws ClientException {
        return Responses.parse(Responses.checkOk(connections.call(ApiPaths.KEYS_COUNT,
                KeyCountRequest.getDefaultInstance())), KeyCountResponse.parser());
    }

    /**
     * Whether anyone (not only contacts holding our profile key) may send us sealed messages. Off by
     * default: strangers then have to identify themselves to the server to reach us.
     */
    public void setUnrestrictedSealedSender(boolean unrestricted) throws ClientException {
        Responses.checkOk(connections.call(ApiPaths.SEALED_SENDER_ACCESS, SealedSenderAccess.newBuilder()
                .setAccessKey(ByteString.copyFrom(ProfileCipher.accessKey(settings.profileKey())))
                .setUnrestricted(unrestricted)
                .build()));
    }

    // ---------------------------------------------------------------- identities

    /**
     * Gives this account a new identity key (and new prekeys), as after a reinstall or a suspected
     * key leak. Every contact sees a changed safety number and must accept it before sending here.
     * Local state changes only if the server accepted the new key.
     */
    public void resetIdentity() throws ClientException {
        identities.resetIdentity();
    }

    /** Everyone this account has written to or heard from, with what is known here; never asks the server. */
    public List<ContactInfo> contacts() {
        List<ContactInfo> known = new ArrayList<>();
        for (LocalMessages.Contact contact : messages.contacts()) {
            Optional<String> name = messages.profileName(contact.accountId()).flatMap(LocalMessages.CachedName::name);
            known.add(new ContactInfo(contact.accountId(), contact.username(), name,
                    messages.expireSeconds(contact.accountId())));
        }
        return known;
    }

    /** Known identities, optionally only the one of {@code username}. */
    public List<IdentityInfo> identities(Optional<String> onlyUsername) throws ClientException {
        return identities.identities(onlyUsername);
    }

    /** Marks the contact's current key verified, if {@code safetyNumber} (spaces ignored) matches it. */
    public void trustVerified(String contact, String safetyNumber) throws ClientException {
        identities.trustVerified(contact, safetyNumber);
    }

    /** Accepts the contact's current key without verifying it (after a change: allow sending again). */
    public void trustAccept(String contact) throws ClientException {
        identities.trustAccept(contact);
    }

    @Override
    public synchronized void close() {
        callRoutes.close();
        connections.close();
        receiver.close();
        db.close();
    }
}
