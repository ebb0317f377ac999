// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import org.signal.libsignal.metadata.InvalidMetadataMessageException;
import org.signal.libsignal.metadata.ProtocolDuplicateMessageException;
import org.signal.libsignal.metadata.ProtocolException;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.metadata.certificate.InvalidCertificateException;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.fingerprint.NumericFingerprintGenerator;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.util.KeyHelper;
import org.signal.libsignal.usernames.BaseUsernameException;
import org.signal.libsignal.usernames.Username;
import org.signal.libsignal.zkgroup.InvalidInputException;
import org.signal.libsignal.zkgroup.profiles.ProfileKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.GroupDetails;
import org.svyaz.client.api.IdentityInfo;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UntrustedIdentityError;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.api.UsernameTakenException;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.NetworkIdentity;
import org.svyaz.client.net.PushHandler;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.Routes;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.GroupStore;
import org.svyaz.client.store.IdentityRecord;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.client.store.TrustLevel;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;
import org.svyaz.protocol.wire.DescriptorRequest;
import org.svyaz.protocol.wire.DescriptorResponse;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.GetProfileRequest;
import org.svyaz.protocol.wire.GetProfileResponse;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyCountResponse;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.RegisterResponse;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.ResetIdentityRequest;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SealedSenderAccess;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SenderCertificateRequest;
import org.svyaz.protocol.wire.SenderCertificateResponse;
import org.svyaz.protocol.wire.SetProfileRequest;
import org.svyaz.protocol.wire.StaleDevices;
import org.svyaz.protocol.wire.UsernameCandidate;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.protocol.wire.UsernameLookupResponse;

/**
 * One registered account on this device: register, send, receive, identities. The facade the CLI
 * (and any other front end) uses.
 *
 * <p>Received messages are first stored in the local database together with their envelope id, in
 * the same transaction as the decryption's session update, and only then acknowledged to the
 * server. A message is shown from the local inbox and marked shown afterwards, so a crash at any
 * point neither loses a message nor (beyond the instant between showing and marking) repeats one.
 */
public final class SvyazClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SvyazClient.class);
    public static final String ACCOUNT_FILE = "account.db";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** For requests that only improve what is shown (prekey refill, profile names). */
    private static final Duration REFILL_TIMEOUT = Duration.ofSeconds(5);
    private static final int SEND_ATTEMPTS = 4;
    private static final int PADDING_BLOCK = 160;
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String SERVER_LINK = "server_link";
    /** Per network (see {@link NetworkIdentity}): the key of the route that won there last. */
    private static final String ROUTE_PREFIX = "route.";
    private static final String RELAYS_ONLY = "relays_only";
    /** Received files, decrypted, under the account's directory. */
    static final String ATTACHMENT_DIRECTORY = "attachments";
    private static final String ACCOUNT_ID = "account_id";
    private static final String DEVICE_ID = "device_id";
    private static final String PASSWORD = "password";
    private static final String USERNAME = "username";
    private static final String PROFILE_KEY = "profile_key";
    private static final String SENDER_CERTIFICATE = "sender_certificate";
    private static final String RELAYS = "relays";
    /** Refresh the sender certificate when it has less than this left. */
    private static final Duration CERTIFICATE_MARGIN = Duration.ofHours(1);
    private static final Duration PROFILE_CACHE = Duration.ofMinutes(5);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Shown as the sender of a sealed message whose sender could not be established. */
    public static final UUID UNKNOWN_SENDER = new UUID(0, 0);

    private final AccountDatabase db;
    private final SqliteSignalStore store;
    private final LocalMessages messages;
    private final GroupMessaging groups;
    private final LocalSignals signals;
    private final IncomingSignals incoming;
    private final OutgoingSignals outgoing;
    private final PreKeyGenerator preKeys;
    private final Clock clock;
    /** Timestamps of messages this device sends: unique, as they name the messages. */
    private final Clock messageClock;
    /** The server's descriptor as last verified; replaced when the server sends a newer one. */
    private volatile InviteLink server;
    private final UUID accountId;
    private final int deviceId;
    private final byte[] password;
    private final String username;
    private final LinkedBlockingQueue<Boolean> arrivals = new LinkedBlockingQueue<>();
    /** Stored messages whose files are still being fetched: not shown until they are in. */
    private final Set<Long> downloading = ConcurrentHashMap.newKeySet();
    private volatile CompletableFuture<Void> queueEmpty = new CompletableFuture<>();
    private ServerConnection connection;
    private ServerConnection anonymousConnection;
    private volatile CompletableFuture<Void> descriptorRefresh = CompletableFuture.completedFuture(null);
    private volatile TransferProgress transferProgress = TransferProgress.NONE;

    private SvyazClient(AccountDatabase db, Clock clock) throws ClientException {
        this.db = db;
        this.clock = clock;
        this.messageClock = new UniqueMillisClock(clock);
        this.store = new SqliteSignalStore(db, clock);
        this.messages = new LocalMessages(db);
        this.preKeys = new PreKeyGenerator(db, store, clock);
        byte[] link = db.setting(SERVER_LINK);
        if (link == null || db.setting(ACCOUNT_ID) == null) {
            throw new UserInputException("This account was never registered completely; register it again.");
        }
        try {
            this.server = InviteLink.parse(new String(link, StandardCharsets.UTF_8));
        } catch (InvalidInviteLinkException e) {
            throw new LocalFailureException("The stored server link is damaged: " + e.getMessage(), e);
        }
        this.accountId = UUID.fromString(text(ACCOUNT_ID));
        this.deviceId = Integer.parseInt(text(DEVICE_ID));
        this.password = db.setting(PASSWORD);
        this.username = text(USERNAME);
        this.groups = new GroupMessaging(this, new GroupStore(db), store, messages, messageClock, accountId, deviceId);
        this.signals = new LocalSignals(db);
        this.incoming = new IncomingSignals(signals, accountId);
        this.outgoing = new OutgoingSignals(signals, messages, messageClock, accountId, this::resolve, this::sendToContact,
                db::checkpoint);
    }

    private String text(String setting) {
        return new String(db.setting(setting), StandardCharsets.UTF_8);
    }

    private void setText(String setting, String value) {
        db.setSetting(setting, value.getBytes(StandardCharsets.UTF_8));
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
        for (RelayLink relay : relays) {
            if (!relay.descriptor().getServerIdentityKey().equals(link.descriptor().getIdentityKey())) {
                throw new UserInputException("A relay link forwards to another server than the invite link names.");
            }
        }
        if (link.expired(clock.millis())) {
            throw new UserInputException("This invite link has expired; ask the server's operator or a friend for a "
                    + "current one.");
        }
        List<RelayLink> routes = new ArrayList<>(relays);
        link.descriptor().getRelaysList().forEach(r -> routes.add(new RelayLink(r)));
        List<Username> candidates = usernameCandidates(requestedUsername);
        Path staging;
        try {
            Files.createDirectories(accountsRoot);
            staging = Files.createTempDirectory(accountsRoot, ".registering-");
        } catch (IOException e) {
            throw new LocalFailureException("Cannot create the account directory under " + accountsRoot + ": "
                    + e.getMessage(), e);
        }
        try {
            AccountDatabase db = openDatabase(staging.resolve(ACCOUNT_FILE));
            RegisterResponse registered;
            Username chosen;
            try {
                IdentityKeyPair identity = IdentityKeyPair.generate();
                int registrationId = KeyHelper.generateRegistrationId(false);
                byte[] password = new byte[32];
                RANDOM.nextBytes(password);
                byte[] profileKey = new byte[32];
                RANDOM.nextBytes(profileKey);
                db.setSetting(PROFILE_KEY, profileKey);
                db.setSetting(SqliteSignalStore.IDENTITY_KEY_PAIR, identity.serialize());
                db.setSetting(SqliteSignalStore.REGISTRATION_ID,
                        Integer.toString(registrationId).getBytes(StandardCharsets.UTF_8));
                SqliteSignalStore store = new SqliteSignalStore(db, clock);
                RegisterRequest.Builder request = RegisterRequest.newBuilder()
                        .setPassword(ByteString.copyFrom(password))
                        .setRegistrationId(registrationId)
                        .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
                        .setKeys(new PreKeyGenerator(db, store, clock).initialKeys());
                link.inviteCode().ifPresent(request::setInviteCode);
                request.setSealedSenderAccess(SealedSenderAccess.newBuilder()
                        .setAccessKey(ByteString.copyFrom(accessKey(profileKey))));
                for (Username candidate : candidates) {
                    request.addUsernames(UsernameCandidate.newBuilder()
                            .setHash(ByteString.copyFrom(candidate.getHash()))
                            .setProof(ByteString.copyFrom(candidate.generateProof())));
                }
                Response response;
                try (ServerConnection anonymous = ServerConnection.connect(link, routes, Optional.empty(), Optional.empty(),
                        push -> Response.newBuilder().setError(ErrorCode.UNAUTHORIZED).build(), CONNECT_TIMEOUT)) {
                    response = anonymous.call(ApiPaths.REGISTER, request.build(), REQUEST_TIMEOUT);
                } catch (ConnectionException e) {
                    throw new NetworkException(e.getMessage(), e);
                }
                if (response.getError() == ErrorCode.CONFLICT) {
                    throw new UsernameTakenException(candidates.size() == 1
                            ? "The username " + candidates.getFirst().getUsername() + " is taken; choose another."
                            : "No free digits were found for that nickname; choose another nickname.");
                }
                registered = parse(checkOk(response), RegisterResponse.parser());
                chosen = candidates.get(registered.getUsernameIndex());
                db.setSetting(SERVER_LINK, link.withoutCode().toString().getBytes(StandardCharsets.UTF_8));
                db.setSetting(ACCOUNT_ID, Uuids.fromByteString(registered.getAccountId()).toString()
                        .getBytes(StandardCharsets.UTF_8));
                db.setSetting(DEVICE_ID, Integer.toString(registered.getDeviceId()).getBytes(StandardCharsets.UTF_8));
                db.setSetting(PASSWORD, password);
                db.setSetting(USERNAME, chosen.getUsername().getBytes(StandardCharsets.UTF_8));
                if (!relays.isEmpty()) {
                    db.setSetting(RELAYS, String.join("\n", relays.stream().map(RelayLink::toString).toList())
                            .getBytes(StandardCharsets.UTF_8));
                }
            } catch (BaseUsernameException e) {
                throw new UserInputException("Cannot make a username proof: " + e.getMessage(), e);
            } catch (LocalStoreException e) {
                throw new LocalFailureException(e.getMessage(), e);
            } finally {
                db.close();
            }
            Path finalDir = accountsRoot.resolve(chosen.getUsername());
            try {
                Files.move(staging, finalDir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new LocalFailureException("Registered as " + chosen.getUsername() + " but cannot move the "
                        + "account into " + finalDir + ": " + e.getMessage(), e);
            }
            staging = null;
            return open(finalDir, clock);
        } finally {
            if (staging != null) {
                deleteRecursively(staging);
            }
        }
    }

    /** The sealed-sender access key derived from a profile key, as every contact can derive it. */
    static byte[] accessKey(byte[] profileKey) {
        try {
            return new ProfileKey(profileKey).deriveAccessKey();
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException("a profile key is 32 bytes", e);
        }
    }

    /** {@code nick.42} as given, or for a bare {@code nick} a list of candidates with random digits. */
    static List<Username> usernameCandidates(String requested) throws UserInputException {
        if (requested == null || requested.isBlank()) {
            throw new UserInputException("A username is required, for example alice.42 or just alice.");
        }
        try {
            if (requested.contains(".")) {
                return List.of(new Username(requested));
            }
            return Username.candidatesFrom(requested, 3, 32).stream().limit(20).toList();
        } catch (BaseUsernameException e) {
            throw new UserInputException("'" + requested + "' is not a valid username: a nickname of 3-32 letters, "
                    + "digits or underscores (not starting with a digit), then a dot and at least two digits "
                    + "other than 00, like alice.42.", e);
        }
    }

    /** Opens an account registered earlier. */
    public static SvyazClient open(Path accountDir, Clock clock) throws ClientException {
        if (!Files.isRegularFile(accountDir.resolve(ACCOUNT_FILE))) {
            throw new UserInputException("No account is registered in " + accountDir + ".");
        }
        AccountDatabase db = openDatabase(accountDir.resolve(ACCOUNT_FILE));
        try {
            SvyazClient client = new SvyazClient(db, clock);
            client.deleteExpiredMessages();
            return client;
        } catch (ClientException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static AccountDatabase openDatabase(Path file) throws LocalFailureException {
        try {
            return AccountDatabase.open(file);
        } catch (SQLException e) {
            throw new LocalFailureException("Cannot open the local database " + file + ": " + e.getMessage(), e);
        }
    }

    public String username() {
        return username;
    }

    public UUID accountId() {
        return accountId;
    }

    /** This device's credentials, for the server's plain-HTTP paths (attachments). */
    DeviceCredentials credentials() {
        return new DeviceCredentials(accountId, deviceId, password);
    }

    // ---------------------------------------------------------------- connection

    private synchronized ServerConnection connection() throws NetworkException {
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                connection.close();
            }
            queueEmpty = new CompletableFuture<>();
            try {
                connection = ServerConnection.connect(server, relays(), preferredRoute(), relaysOnly(),
                        Optional.of(new DeviceCredentials(accountId, deviceId, password)), pushes, CONNECT_TIMEOUT);
                rememberRoute(connection);
            } catch (ConnectionException e) {
                throw new NetworkException(e.unauthorized()
                        ? "The server does not recognise this account (it may have been reset). Register again."
                        : e.getMessage(), e);
            }
            refreshDescriptor(connection);
        }
        return connection;
    }

    /**
     * One request on the authenticated connection. If the connection turns out to be dead before the
     * request left (a route that just died), it is sent once more on a fresh connection; a request
     * that may have reached the server is never repeated, so nothing is sent twice.
     */
    Response call(String path, Message body) throws ClientException {
        try {
            try {
                return connection().call(path, body, REQUEST_TIMEOUT);
            } catch (ConnectionException e) {
                if (!e.requestNotSent()) {
                    throw e;
                }
                return connection().call(path, body, REQUEST_TIMEOUT);
            }
        } catch (ConnectionException e) {
            throw new NetworkException(e.getMessage(), e);
        }
    }

    /** Who hears how attachment uploads and downloads advance (the CLI draws progress from it). */
    public void onTransferProgress(TransferProgress listener) {
        transferProgress = listener == null ? TransferProgress.NONE : listener;
    }

    /** Whether this account reaches the server only through relays (see {@link #setRelaysOnly}). */
    public boolean relaysOnly() {
        byte[] value = db.setting(RELAYS_ONLY);
        return value != null && value.length == 1 && value[0] == 1;
    }

    /**
     * Reach the server only through relays: no DNS lookup of its name, no packet to its addresses,
     * so a censor watching this device sees only connections to ordinary-looking web sites.
     */
    public void setRelaysOnly(boolean relaysOnly) throws ClientException {
        if (relaysOnly && relays().isEmpty()) {
            throw new UserInputException("No relay is known for this server: add one with 'svyaz addRelay LINK' first.");
        }
        try {
            db.setSetting(RELAYS_ONLY, new byte[] {(byte) (relaysOnly ? 1 : 0)});
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
        if (connection != null) {
            connection.close();
        }
    }

    /**
     * The key ({@link Route#key()}) of the route that last won, or that the probe
     * recommended, on the network the device is on now; it is started first next time.
     */
    public Optional<String> preferredRoute() {
        byte[] remembered = db.setting(ROUTE_PREFIX + NetworkIdentity.current());
        return remembered == null ? Optional.empty() : Optional.of(new String(remembered, StandardCharsets.UTF_8));
    }

    /**
     * Makes the route with this key the one started first on the current network, as if it had
     * won last time; {@code svyaz probe} calls it with the first route it found working. A key
     * that names none of this account's routes is refused, so a typo cannot shadow the real one.
     */
    public void preferRoute(String routeKey) throws ClientException {
        if (Routes.of(server, relays()).stream().noneMatch(r -> r.key().equals(routeKey))) {
            throw new UserInputException("No route '" + routeKey + "' leads to this account's server.");
        }
        try {
            db.setSetting(ROUTE_PREFIX + NetworkIdentity.current(), routeKey.getBytes(StandardCharsets.UTF_8));
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    private void rememberRoute(ServerConnection winner) {
        byte[] key = winner.routeKey().getBytes(StandardCharsets.UTF_8);
        String name = ROUTE_PREFIX + NetworkIdentity.current();
        if (!Arrays.equals(db.setting(name), key)) {
            db.setSetting(name, key);
        }
    }

    /** Requests that must not reveal who we are (sealed sends) use a connection without credentials. */
    Response callAnonymously(String path, Message body) throws ClientException {
        return callAnonymously(path, body, REQUEST_TIMEOUT);
    }

    private Response callAnonymously(String path, Message body, Duration timeout) throws ClientException {
        try {
            try {
                return anonymousConnection(false).call(path, body, timeout);
            } catch (ConnectionException e) {
                if (!e.requestNotSent()) {
                    throw e;
                }
                return anonymousConnection(true).call(path, body, timeout);
            }
        } catch (ConnectionException e) {
            throw new NetworkException(e.getMessage(), e);
        }
    }

    /** The connection without credentials, opened when missing, dead or {@code fresh} is asked for. */
    private synchronized ServerConnection anonymousConnection(boolean fresh) throws ConnectionException {
        if (fresh || anonymousConnection == null || !anonymousConnection.isOpen()) {
            if (anonymousConnection != null) {
                anonymousConnection.close();
            }
            anonymousConnection = ServerConnection.connect(server, relays(), preferredRoute(), relaysOnly(), Optional.empty(),
                    push -> Response.newBuilder().setError(ErrorCode.NOT_FOUND).build(), CONNECT_TIMEOUT);
            rememberRoute(anonymousConnection);
        }
        return anonymousConnection;
    }

    static Response checkOk(Response response) throws ClientException {
        return switch (response.getError()) {
            case OK -> response;
            case RATE_LIMITED -> throw new RateLimitedException(response.getMessage());
            case NOT_FOUND -> throw new UnknownUserException(response.getMessage());
            case INVALID_INVITE -> throw new UserInputException(response.getMessage());
            default -> throw new ServerRejectedException(response.getError(), "The server refused: "
                    + response.getMessage() + " (" + response.getError() + ")");
        };
    }

    static <T> T parse(Response response, Parser<T> parser) throws ClientException {
        try {
            return parser.parseFrom(response.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw new ServerRejectedException(ErrorCode.MALFORMED, "The server sent an unreadable answer.");
        }
    }

    /**
     * Asks the server for its current descriptor and keeps it if it is newer and signed by the same
     * identity key, so new addresses and relays reach every client while the old ones still work.
     * Best effort: failures are logged and the known descriptor stays.
     */
    /**
     * Asks for the server's current descriptor without waiting for the answer: on a slow or frozen
     * route the answer may never come, and the connection must be usable (and its stall noticed)
     * meanwhile. {@link #server()} waits briefly for it.
     */
    private void refreshDescriptor(ServerConnection via) {
        descriptorRefresh = via.request(ApiPaths.DESCRIPTOR, DescriptorRequest.getDefaultInstance())
                .orTimeout(REFILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, failure) -> {
                    if (failure != null) {
                        log.warn("could not refresh the server descriptor: {}", failure.getMessage() == null
                                ? failure.getClass().getSimpleName() : failure.getMessage());
                    } else if (response.getError() == ErrorCode.OK) {
                        adoptDescriptor(response);
                    }
                    return null;
                });
    }

    private synchronized void adoptDescriptor(Response response) {
        try {
            SignedServerDescriptor signed = SignedServerDescriptor.parseFrom(
                    DescriptorResponse.parseFrom(response.getBody()).getSignedDescriptor());
            long offeredIssuedAt = ServerDescriptor.parseFrom(signed.getDescriptorBytes())
                    .getIssuedAt();
            if (offeredIssuedAt < server.descriptor().getIssuedAt()) {
                // The nodes of a cluster each sign at their own start, so one started earlier serves an
                // older descriptor than another did: ours is newer, nothing to do.
                return;
            }
            InviteLink next = server.refreshedBy(signed, clock.millis());
            if (next.descriptor().getIssuedAt() > server.descriptor().getIssuedAt()) {
                db.setSetting(SERVER_LINK, next.toString().getBytes(StandardCharsets.UTF_8));
                server = next;
            }
        } catch (InvalidProtocolBufferException | InvalidInviteLinkException | LocalStoreException e) {
            log.warn("could not refresh the server descriptor: {}", e.getMessage());
        }
    }

    /** How this client is connected right now. */
    public record ConnectionStatus(String route, List<String> failedRoutes, int endpoints, int relays) {}

    /** Connects if needed and tells which route carries the connection and why earlier ones failed. */
    public ConnectionStatus status() throws ClientException {
        ServerConnection current = connection();
        return new ConnectionStatus(current.route(), current.failedRoutes(), server.descriptor().getEndpointsCount(),
                relays().size());
    }

    /**
     * The server as this client currently knows it (the stored, possibly refreshed, descriptor);
     * waits for a refresh under way, at most as long as the refresh itself may take.
     */
    public InviteLink server() {
        try {
            descriptorRefresh.get(REFILL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // The refresh failed or is stuck: the stored descriptor is what we know.
        }
        return server;
    }

    // ---------------------------------------------------------------- relays

    /**
     * Relays to fall back on when the server cannot be reached directly: those the user added, in
     * order, then those the server's descriptor names.
     */
    public List<RelayLink> relays() {
        List<RelayLink> relays = new ArrayList<>(userRelays());
        for (var described : server.descriptor().getRelaysList()) {
            RelayLink relay = new RelayLink(described);
            if (!relays.contains(relay)) {
                relays.add(relay);
            }
        }
        return relays;
    }

    private List<RelayLink> userRelays() {
        byte[] stored = db.setting(RELAYS);
        if (stored == null) {
            return List.of();
        }
        List<RelayLink> relays = new ArrayList<>();
        for (String line : new String(stored, StandardCharsets.UTF_8).split("\n")) {
            try {
                if (!line.isBlank()) {
                    relays.add(RelayLink.parse(line));
                }
            } catch (InvalidInviteLinkException e) {
                log.warn("ignoring a stored relay link that no longer parses");
            }
        }
        return relays;
    }

    /** Adds a relay someone shared; it must belong to this account's server. */
    public void addRelay(RelayLink relay) throws ClientException {
        if (!relay.descriptor().getServerIdentityKey().equals(server.descriptor().getIdentityKey())) {
            throw new UserInputException("This relay forwards to another server, not to the one this account is on.");
        }
        List<String> links = new ArrayList<>(userRelays().stream().map(RelayLink::toString).toList());
        if (!links.contains(relay.toString())) {
            links.add(relay.toString());
        }
        db.setSetting(RELAYS, String.join("\n", links).getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- contacts

    /** The account behind a username, from the contacts or the server. */
    public UUID resolve(String recipient) throws ClientException {
        Username parsed;
        try {
            parsed = new Username(recipient);
        } catch (BaseUsernameException e) {
            throw new UserInputException("'" + recipient + "' is not a username (like alice.42).", e);
        }
        Optional<UUID> known = messages.contactAccount(parsed.getUsername());
        if (known.isPresent()) {
            return known.get();
        }
        Response response = call(ApiPaths.USERNAME_LOOKUP,
                UsernameLookupRequest.newBuilder().setHash(ByteString.copyFrom(parsed.getHash())).build());
        if (response.getError() == ErrorCode.NOT_FOUND) {
            throw new UnknownUserException("No account is registered as " + parsed.getUsername() + " on this server.");
        }
        UUID id = Uuids.fromByteString(parse(checkOk(response), UsernameLookupResponse.parser()).getAccountId());
        messages.putContact(id, parsed.getUsername());
        return id;
    }

    // ---------------------------------------------------------------- sending

    /**
     * What a send did. {@code sealed} is false when the server could see who sent it; {@code route}
     * is how the message reached the server (see {@link ConnectionStatus#route()}).
     */
    public record SendResult(long timestamp, boolean sealed, String route) {}

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
        try {
            UUID destination = resolve(recipient);
            if (destination.equals(accountId)) {
                // Encrypting to our own device would reuse one session for both directions.
                throw new UserInputException("Sending to yourself (Note to Self) is not supported yet.");
            }
            checkReadable(files);
            long timestamp = messageClock.millis();
            DataMessage.Builder data = DataMessage.newBuilder()
                    .setBody(text)
                    .setTimestamp(timestamp)
                    .setExpireTimer(messages.expireSeconds(destination));
            if (quote.isPresent()) {
                data.setQuote(outgoing.quote(recipient, destination, quote.get()));
            }
            for (Path file : files) {
                data.addAttachments(uploadAttachment(file));
            }
            DataMessage message = data.build();
            SendResult result = sendData(recipient, destination, message);
            outgoing.recordSent(destination, message);
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
            return groups.create(title, memberUsernames, username).toString();
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
        try {
            GroupId id = groupId(groupId);
            checkReadable(files);
            DataMessage.Builder data = DataMessage.newBuilder().setBody(text).setTimestamp(messageClock.millis());
            for (Path file : files) {
                data.addAttachments(uploadAttachment(file));
            }
            return groups.send(id, data);
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    private static GroupId groupId(String text) throws UserInputException {
        try {
            return GroupId.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    private static void checkReadable(List<Path> files) throws UserInputException {
        for (Path file : files) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new UserInputException("Cannot read the file " + file + ".");
            }
        }
    }

    private AttachmentPointer uploadAttachment(Path file) throws ClientException {
        Route route = connection().winningRoute();
        try {
            return Attachments.upload(server, route, credentials(), file, db.directory().resolve(ATTACHMENT_DIRECTORY),
                    transferProgress);
        } catch (ConnectionException e) {
            throw new NetworkException("Uploading " + file.getFileName() + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LocalFailureException("Cannot encrypt " + file.getFileName() + ": " + e.getMessage(), e);
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
            UUID destination = resolve(recipient);
            if (destination.equals(accountId)) {
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
        return messages.expireSeconds(resolve(contact));
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

    /** Deletes a message this account sent to {@code recipient}, for everyone. */
    public SendResult remoteDelete(String recipient, long targetTimestamp) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.remoteDelete(recipient, targetTimestamp));
    }

    /**
     * Tells {@code recipient} that messages they sent were read or viewed. Delivery receipts are
     * sent automatically by {@link #receive}.
     */
    public SendResult sendReceipt(String recipient, ReceiptType type, List<Long> timestamps) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.receipt(recipient, type, timestamps));
    }

    /** Tells {@code recipient} that this user started (or, with {@code stop}, stopped) typing. */
    public SendResult sendTyping(String recipient, boolean stop) throws ClientException {
        return OutgoingSignals.guarded(() -> outgoing.typing(recipient, stop));
    }

    /**
     * The conversation with {@code contact} as stored here: received and sent messages with their
     * edits, deletes, reactions and receipts, oldest first.
     */
    public List<ConversationMessage> conversation(String contact) throws ClientException {
        UUID account = resolve(contact);
        return OutgoingSignals.guarded(() -> signals.conversation(account, accountId));
    }

    /** The username of an account: this one's, or a contact's confirmed one. */
    public Optional<String> usernameOf(UUID account) {
        return account.equals(accountId) ? Optional.of(username) : messages.contactUsername(account);
    }

    private SendResult sendData(String recipient, UUID destination, DataMessage data) throws ClientException {
        return sendToContact(recipient, destination, Content.newBuilder().setDataMessage(data), data.getTimestamp());
    }

    /** Content as this account sends it: who we say we are and the key that opens our profile. */
    Content.Builder contentFromHere() {
        return Content.newBuilder()
                .setSenderUsername(username)
                .setProfileKey(ByteString.copyFrom(db.setting(PROFILE_KEY)));
    }

    /** How the last send reached the server: the anonymous connection for sealed sends. */
    String routeOfLastSend(boolean sealed) {
        return sealed ? anonymousConnection.route() : connection.route();
    }

    /**
     * Sends {@code content} to every device of one account, sealed when we can; once, because the
     * caller (a group send) retries the whole of its work itself.
     */
    SendResult sendPairwise(String recipient, UUID destination, Content content, long timestamp) throws ClientException {
        return sendToContactOnce(recipient, destination, content.toBuilder(), timestamp);
    }

    /** Sends content to a contact: sealed when possible, else identified (see {@link #send}); retried. */
    private SendResult sendToContact(String recipient, UUID destination, Content.Builder built, long timestamp)
            throws ClientException {
        return SendRetry.untilSent(() -> sendToContactOnce(recipient, destination, built, timestamp));
    }

    private SendResult sendToContactOnce(String recipient, UUID destination, Content.Builder built, long timestamp)
            throws ClientException {
        try {
            Optional<IdentityRecord> identity = store.identity(destination.toString());
            if (identity.isPresent() && identity.get().trust() == TrustLevel.UNTRUSTED) {
                throw new UntrustedIdentityError(recipient);
            }
            Content content = built
                    .setSenderUsername(username)
                    .setProfileKey(ByteString.copyFrom(db.setting(PROFILE_KEY)))
                    .build();
            byte[] plaintext = pad(content);
            // With the contact's profile key we can prove access; without it, sealed works only if the
            // contact accepts sealed messages from anyone, which the server tells us by accepting.
            byte[] access = messages.profileKey(destination).map(SvyazClient::accessKey).orElse(new byte[0]);
            if (sendContent(recipient, destination, plaintext, timestamp, Optional.of(access))) {
                return new SendResult(timestamp, true, anonymousConnection.route());
            }
            sendContent(recipient, destination, plaintext, timestamp, Optional.empty());
            return new SendResult(timestamp, false, connection.route());
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
            if (store.sessionDevices(name).isEmpty()) {
                startSessions(recipient, destination, Set.of());
            }
            List<OutgoingMessage> outgoing = accessKey.isPresent()
                    ? encryptSealed(recipient, name, plaintext)
                    : encrypt(recipient, name, plaintext);
            Response response;
            if (accessKey.isPresent()) {
                response = callAnonymously(ApiPaths.MESSAGES_SEND_SEALED, SealedSendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(destination))
                        .setAccessKey(ByteString.copyFrom(accessKey.get()))
                        .setTimestamp(timestamp)
                        .addAllMessages(outgoing)
                        .build());
                if (response.getError() == ErrorCode.UNAUTHORIZED) {
                    return false;
                }
            } else {
                response = call(ApiPaths.MESSAGES_SEND, SendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(destination))
                        .setTimestamp(timestamp)
                        .addAllMessages(outgoing)
                        .build());
            }
            if (response.getError() != ErrorCode.STALE_DEVICES) {
                if (response.getError() == ErrorCode.NOT_FOUND) {
                    throw new UnknownUserException("The account of " + recipient + " no longer exists.");
                }
                checkOk(response);
                return true;
            }
            StaleDevices stale = parse(response, StaleDevices.parser());
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

    private List<OutgoingMessage> encrypt(String recipient, String name, byte[] plaintext) throws ClientException {
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
    }

    private List<OutgoingMessage> encryptSealed(String recipient, String name, byte[] plaintext) throws ClientException {
        SenderCertificate certificate = senderCertificate();
        SealedSessionCipher cipher = new SealedSessionCipher(store, accountId, null, deviceId);
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
    }

    /** A sender certificate with at least an hour left, fetched from the server when needed. */
    SenderCertificate senderCertificate() throws ClientException {
        byte[] cached = db.setting(SENDER_CERTIFICATE);
        if (cached != null) {
            try {
                SenderCertificate certificate = new SenderCertificate(cached);
                if (certificate.getExpiration() - clock.millis() > CERTIFICATE_MARGIN.toMillis()) {
                    return certificate;
                }
            } catch (InvalidCertificateException e) {
                log.warn("the cached sender certificate is unreadable; fetching a new one");
            }
        }
        SenderCertificateResponse response = parse(checkOk(call(ApiPaths.SENDER_CERTIFICATE,
                SenderCertificateRequest.getDefaultInstance())), SenderCertificateResponse.parser());
        try {
            SenderCertificate certificate = new SenderCertificate(response.getCertificate().toByteArray());
            db.setSetting(SENDER_CERTIFICATE, certificate.getSerialized());
            return certificate;
        } catch (InvalidCertificateException e) {
            throw new ServerRejectedException(ErrorCode.MALFORMED, "The server issued an unreadable sender certificate.");
        }
    }

    /** Fetches bundles and builds sessions with the account's devices ({@code only} empty: all of them). */
    void startSessions(String recipient, UUID destination, Set<Integer> only) throws ClientException {
        Response response = call(ApiPaths.KEYS_BUNDLE,
                PreKeyBundleRequest.newBuilder().setAccountId(Uuids.toByteString(destination)).build());
        if (response.getError() == ErrorCode.NOT_FOUND) {
            throw new UnknownUserException("The account of " + recipient + " no longer exists.");
        }
        PreKeyBundleResponse bundles = parse(checkOk(response), PreKeyBundleResponse.parser());
        if (bundles.getDevicesCount() == 0) {
            throw new ServerRejectedException(ErrorCode.NOT_FOUND, recipient + " has no device that can receive.");
        }
        try {
            IdentityKey identityKey = new IdentityKey(bundles.getIdentityKey().toByteArray());
            for (DeviceBundle device : bundles.getDevicesList()) {
                if (!only.isEmpty() && !only.contains(device.getDeviceId())) {
                    continue;
                }
                PreKeyBundle bundle = PreKeyBundles.of(identityKey, device);
                SignalProtocolAddress address = new SignalProtocolAddress(destination.toString(), device.getDeviceId());
                try {
                    new SessionBuilder(store, address).process(bundle);
                } catch (UntrustedIdentityException e) {
                    // Remember the new key as untrusted so the user can inspect and accept it.
                    store.saveIdentity(address, identityKey);
                    throw new UntrustedIdentityError(recipient);
                }
            }
        } catch (InvalidKeyException e) {
            throw new ServerRejectedException(ErrorCode.MALFORMED,
                    "The server handed out keys for " + recipient + " that do not verify.");
        }
    }

    // ---------------------------------------------------------------- receiving

    /** Pushes on the authenticated connection, with the route each came in on. */
    private final PushHandler pushes = new PushHandler() {
        @Override
        public Response onPush(Request push) {
            return SvyazClient.this.onPush(push, Optional.empty());
        }

        @Override
        public Response onPush(Request push, Route route) {
            return SvyazClient.this.onPush(push, Optional.of(route));
        }
    };

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
     * Decrypts and stores one envelope, exactly once per envelope id; then fetches the files it
     * carries, outside the transaction (a download may take long), before the server is told.
     */
    private void store(Envelope envelope, Optional<Route> route) {
        List<AttachmentPointer> pointers = new ArrayList<>();
        long[] localId = {-1};
        try {
            storeDecrypted(envelope, pointers, localId);
            if (incoming.takeErased()) {
                db.checkpoint(); // an edit or delete for everyone replaced text: no copy may stay in the WAL
            }
            if (!pointers.isEmpty() && localId[0] >= 0) {
                // Along the route the message came in on: the connection that carries it may not be
                // handed to this client yet when the first pushes arrive.
                messages.setAttachments(localId[0], Attachments.download(server, route, credentials(),
                        db.directory().resolve(ATTACHMENT_DIRECTORY), envelope.getTimestamp(), pointers,
                        transferProgress));
            }
        } finally {
            if (localId[0] >= 0) {
                downloading.remove(localId[0]);
            }
        }
    }

    private void storeDecrypted(Envelope envelope, List<AttachmentPointer> pointers, long[] localId) {
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
                    incoming.apply(decrypted.source(), content.getSenderUsername().isEmpty() ? null
                            : content.getSenderUsername(), decrypted.sourceDevice(), envelope.getTimestamp(),
                            envelope.getServerTimestamp(), untrusted, content);
                    messages.markReceived(guid, clock.millis());
                    return null;
                }
                if (content.hasDataMessage()) {
                    storeData(envelope, decrypted, content, untrusted, pointers, localId);
                    if (!pointers.isEmpty() && localId[0] >= 0) {
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

    /** Stores a decrypted data message; a group message only if the group's rules let it in. */
    private void storeData(Envelope envelope, Decrypted decrypted, Content content, boolean untrusted,
                           List<AttachmentPointer> pointers, long[] localId) {
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
            GroupMessaging.Verdict verdict = groups.accept(decrypted.source(), data.getGroup());
            if (verdict instanceof GroupMessaging.Verdict.Refused refused) {
                log.warn("dropped a group message: {}", refused.reason());
                return;
            }
            boolean update = ((GroupMessaging.Verdict.Accepted) verdict).update();
            localId[0] = messages.insert(decrypted.source(), claimedUsername, decrypted.sourceDevice(),
                    envelope.getTimestamp(), envelope.getServerTimestamp(), update ? null : data.getBody(), null,
                    untrusted, 0, false, Attachments.pending(data.getAttachmentsList()),
                    data.getGroup().getId().toByteArray(), update);
            pointers.addAll(data.getAttachmentsList());
            return;
        }
        // The newest message's timer is the conversation's timer, whoever set it.
        if (messages.expireSeconds(decrypted.source()) != data.getExpireTimer()) {
            messages.setExpireSeconds(decrypted.source(), data.getExpireTimer());
        }
        localId[0] = messages.insert(decrypted.source(), claimedUsername,
                decrypted.sourceDevice(), envelope.getTimestamp(), envelope.getServerTimestamp(),
                data.getExpirationTimerUpdate() ? null : data.getBody(), null, untrusted,
                data.getExpireTimer(), data.getExpirationTimerUpdate(), Attachments.pending(data.getAttachmentsList()));
        incoming.messageStored(localId[0], decrypted.source(), envelope.getTimestamp(), data, untrusted);
        pointers.addAll(data.getAttachmentsList());
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
        if (server.descriptor().getSealedSenderTrustRoot().isEmpty()) {
            throw new UndecryptableException(UNKNOWN_SENDER, 0,
                    "A sealed message arrived, but this server's invite link names no sealed-sender trust root.");
        }
        try {
            CertificateValidator validator = new CertificateValidator(
                    new ECPublicKey(server.descriptor().getSealedSenderTrustRoot().toByteArray()));
            SealedSessionCipher.DecryptionResult result = new SealedSessionCipher(store, accountId, null, deviceId)
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

    /**
     * Connects, fetches what waits on the server and hands every new message to {@code sink}, until
     * no message has arrived for {@code idle} or {@code maxMessages} were shown.
     *
     * @return how many messages were shown
     */
    public int receive(Duration idle, int maxMessages, Consumer<ReceivedMessage> sink) throws ClientException {
        try {
            deleteExpiredMessages();
            int shown = showPending(sink, maxMessages);
            connection();
            outgoing.sendOwed();
            long deadline = System.nanoTime() + idle.toNanos();
            Duration backoff = FIRST_BACKOFF;
            while (shown < maxMessages) {
                long left = deadline - System.nanoTime();
                if (left <= 0 && !downloading.isEmpty()) {
                    // A file still on its way is not idleness; a stalled transfer gives up on its own.
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    continue;
                }
                if (left <= 0) {
                    break;
                }
                Boolean arrived = arrivals.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                if (arrived == null) {
                    if (!connectionOpen()) {
                        // The route died (a censor reset it, the network changed): race the routes
                        // again after a jittered, growing pause instead of giving up.
                        log.debug("the connection closed; reconnecting");
                        long pause = Math.min(jittered(backoff).toNanos(), Math.max(0, deadline - System.nanoTime()));
                        TimeUnit.NANOSECONDS.sleep(pause);
                        try {
                            connection();
                            backoff = FIRST_BACKOFF;
                        } catch (NetworkException e) {
                            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
                                    : backoff.multipliedBy(2);
                            if (System.nanoTime() >= deadline) {
                                throw e;
                            }
                        }
                    }
                    continue;
                }
                arrivals.clear();
                int before = shown;
                shown += showPending(sink, maxMessages - shown);
                outgoing.sendOwed(); // delivery receipts for what just arrived
                if (shown > before) {
                    deadline = System.nanoTime() + idle.toNanos();
                }
            }
            if (queueEmpty.isDone()) {
                refillPreKeys();
            }
            deleteExpiredMessages();
            return shown;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkException("Interrupted while receiving.", e);
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    private synchronized boolean connectionOpen() {
        return connection != null && connection.isOpen();
    }

    /** Between half and all of {@code backoff}, so many clients cut off at once do not return in step. */
    private static Duration jittered(Duration backoff) {
        long millis = backoff.toMillis();
        return Duration.ofMillis(millis / 2 + RANDOM.nextLong(millis / 2 + 1));
    }

    /**
     * Deletes disappearing messages, received and sent, whose time is up. Rows are overwritten
     * (secure_delete) and the WAL is emptied, so the text is gone from the files, not only hidden.
     */
    public int deleteExpiredMessages() {
        int deleted = messages.deleteExpired(clock.millis()) + signals.deleteExpired(clock.millis());
        if (deleted > 0) {
            db.checkpoint();
        }
        return deleted;
    }

    private int showPending(Consumer<ReceivedMessage> sink, int limit) throws ClientException {
        int shown = 0;
        // A message whose files are still coming is shown after them, when its push is done.
        for (LocalMessages.Pending pending : messages.unshown(downloading)) {
            if (shown >= limit) {
                break;
            }
            ReceivedMessage message = pending.message();
            Optional<String> username = confirmedUsername(message.sourceAccount(), pending.claimedUsername());
            sink.accept(message.withSender(username, profileName(message.sourceAccount())));
            messages.markShown(message.localId(), clock.millis());
            shown++;
        }
        return shown;
    }

    /**
     * A contact's profile name, decrypted with the profile key they sent us; cached for a few minutes
     * so a renamed contact shows the new name soon without a fetch per message.
     */
    private Optional<String> profileName(UUID account) {
        Optional<byte[]> profileKey = messages.profileKey(account);
        if (profileKey.isEmpty()) {
            return Optional.empty();
        }
        Optional<LocalMessages.CachedName> cached = messages.profileName(account);
        if (cached.isPresent() && clock.millis() - cached.get().fetchedAtMillis() < PROFILE_CACHE.toMillis()) {
            return cached.get().name();
        }
        try {
            // Anonymously, with the contact's access key: the server must not learn who reads whose
            // profile, which would name the sender of every sealed message right after delivery.
            // Short timeout: a name is nice to have, and must not hold back showing the message.
            Response response = callAnonymously(ApiPaths.PROFILE_GET, GetProfileRequest.newBuilder()
                    .setAccountId(Uuids.toByteString(account))
                    .setAccessKey(ByteString.copyFrom(accessKey(profileKey.get())))
                    .build(), REFILL_TIMEOUT);
            GetProfileResponse profile = parse(checkOk(response), GetProfileResponse.parser());
            Optional<String> name = ProfileCipher.decryptName(profileKey.get(), profile.getNameCiphertext().toByteArray());
            messages.putProfileName(account, name, clock.millis());
            return name;
        } catch (ClientException e) {
            log.warn("could not fetch a contact's profile: {}", e.getMessage());
            return cached.flatMap(LocalMessages.CachedName::name);
        }
    }

    /** Sets this account's profile name, encrypted so that only contacts can read it. */
    public void setProfileName(String name) throws ClientException {
        if (name.isBlank()) {
            throw new UserInputException("A profile name cannot be empty.");
        }
        byte[] encrypted;
        try {
            encrypted = ProfileCipher.encryptName(db.setting(PROFILE_KEY), name.strip());
        } catch (IllegalArgumentException e) {
            throw new UserInputException("That name is too long (at most 257 bytes of UTF-8).", e);
        }
        checkOk(call(ApiPaths.PROFILE_SET,
                SetProfileRequest.newBuilder().setNameCiphertext(ByteString.copyFrom(encrypted)).build()));
    }

    /** A sender's claimed username counts only if the server maps it to the sender's account. */
    private Optional<String> confirmedUsername(UUID account, Optional<String> claimed) throws ClientException {
        Optional<String> known = messages.contactUsername(account);
        if (known.isPresent() || claimed.isEmpty()) {
            return known;
        }
        try {
            UUID resolved = resolve(claimed.get());
            return resolved.equals(account) ? Optional.of(claimed.get()) : Optional.empty();
        } catch (UnknownUserException | UserInputException e) {
            return Optional.empty();
        } catch (NetworkException | ServerRejectedException e) {
            // Show the message now under the account id rather than hold it back.
            log.warn("could not confirm a sender's username: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Uploads new one-time keys when the server runs low. Best effort: the messages are already
     * received, so a failure here is reported in the log and retried on the next receive.
     */
    private void refillPreKeys() throws ClientException {
        try {
            KeyCountResponse counts = parse(checkOk(connection().call(ApiPaths.KEYS_COUNT,
                    KeyCountRequest.getDefaultInstance(), REFILL_TIMEOUT)), KeyCountResponse.parser());
            if (counts.getPreKeys() < PreKeyGenerator.REFILL_BELOW
                    || counts.getKyberPreKeys() < PreKeyGenerator.REFILL_BELOW) {
                checkOk(connection().call(ApiPaths.KEYS_UPLOAD, preKeys.oneTimeKeys(), REFILL_TIMEOUT));
            }
        } catch (ConnectionException | NetworkException | ServerRejectedException e) {
            // The server's storage may be away for a moment (a node or its database restarting).
            log.warn("could not refill one-time prekeys; will retry on the next receive: {}", e.getMessage());
        }
    }

    /** How many one-time EC and Kyber prekeys the server still holds for this device. */
    public KeyCountResponse serverKeyCounts() throws ClientException {
        return parse(checkOk(call(ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance())), KeyCountResponse.parser());
    }

    /**
     * Whether anyone (not only contacts holding our profile key) may send us sealed messages. Off by
     * default: strangers then have to identify themselves to the server to reach us.
     */
    public void setUnrestrictedSealedSender(boolean unrestricted) throws ClientException {
        checkOk(call(ApiPaths.SEALED_SENDER_ACCESS, SealedSenderAccess.newBuilder()
                .setAccessKey(ByteString.copyFrom(accessKey(db.setting(PROFILE_KEY))))
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
        try {
            db.inTransaction(() -> {
                int oldRegistrationId = store.getLocalRegistrationId();
                int registrationId;
                do {
                    // A new registration id tells senders' servers-side device checks that sessions are stale.
                    registrationId = KeyHelper.generateRegistrationId(false);
                } while (registrationId == oldRegistrationId);
                IdentityKeyPair identity = IdentityKeyPair.generate();
                db.setSetting(SqliteSignalStore.IDENTITY_KEY_PAIR, identity.serialize());
                db.setSetting(SqliteSignalStore.REGISTRATION_ID,
                        Integer.toString(registrationId).getBytes(StandardCharsets.UTF_8));
                store.forgetKeysAndSessions();
                // The cached sender certificate vouches for the old key; recipients would reject it.
                db.deleteSetting(SENDER_CERTIFICATE);
                ResetIdentityRequest request = ResetIdentityRequest.newBuilder()
                        .setRegistrationId(registrationId)
                        .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
                        .setKeys(preKeys.initialKeys())
                        .build();
                checkOk(call(ApiPaths.RESET_IDENTITY, request));
                return null;
            });
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Known identities, optionally only the one of {@code username}. */
    public List<IdentityInfo> identities(Optional<String> onlyUsername) throws ClientException {
        List<IdentityInfo> result = new ArrayList<>();
        Optional<UUID> only = onlyUsername.isPresent() ? Optional.of(resolve(onlyUsername.get())) : Optional.empty();
        for (IdentityRecord record : store.identities()) {
            UUID account = UUID.fromString(record.address());
            if (only.isPresent() && !only.get().equals(account)) {
                continue;
            }
            String name = messages.contactUsername(account).orElse(account.toString());
            result.add(new IdentityInfo(name, account, safetyNumber(account, record.identityKey()),
                    record.trust().name(), record.addedAtMillis()));
        }
        result.sort(Comparator.comparing(IdentityInfo::username));
        return result;
    }

    private String safetyNumber(UUID remote, IdentityKey remoteKey) {
        return new NumericFingerprintGenerator(5200)
                .createFor(2, Uuids.toBytes(accountId), store.getIdentityKeyPair().getPublicKey(),
                        Uuids.toBytes(remote), remoteKey)
                .getDisplayableFingerprint().getDisplayText();
    }

    /** Marks the contact's current key verified, if {@code safetyNumber} (spaces ignored) matches it. */
    public void trustVerified(String contact, String safetyNumber) throws ClientException {
        UUID account = resolve(contact);
        IdentityRecord record = store.identity(account.toString())
                .orElseThrow(() -> new UserInputException("No identity is known for " + contact
                        + " yet; exchange a message first."));
        String expected = safetyNumber(account, record.identityKey());
        if (!expected.equals(safetyNumber.replaceAll("\\s", ""))) {
            throw new UserInputException("That safety number does not match the one for " + contact
                    + ". Compare again; if they really differ, someone may be intercepting.");
        }
        store.putIdentity(account.toString(), record.identityKey(), TrustLevel.TRUSTED_VERIFIED);
    }

    /** Accepts the contact's current key without verifying it (after a change: allow sending again). */
    public void trustAccept(String contact) throws ClientException {
        UUID account = resolve(contact);
        IdentityRecord record = store.identity(account.toString())
                .orElseThrow(() -> new UserInputException("No identity is known for " + contact + " yet."));
        if (record.trust() == TrustLevel.UNTRUSTED) {
            store.putIdentity(account.toString(), record.identityKey(), TrustLevel.TRUSTED_UNVERIFIED);
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (anonymousConnection != null) {
            anonymousConnection.close();
            anonymousConnection = null;
        }
        db.close();
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort: a leftover staging directory is harmless and ignored by listings.
                }
            });
        } catch (IOException ignored) {
            // Same as above.
        }
    }

}
