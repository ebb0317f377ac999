// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.credentials;
import static org.svyaz.client.TestAccounts.receiveUntil;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.StaleDevices;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.limits.RateLimit;

/**
 * Hostile or broken input gets its typed error, and the server keeps serving everybody else. One
 * server for the class; after each bad input a normal pair (alice, bob) must still exchange a
 * message, and where a connection is open beside the bad one, it must still get answers.
 */
class BadInputIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Field 1 with wire type 7, which does not exist: no protobuf parser accepts these bytes. */
    private static final byte[] NOT_PROTOBUF = {0x0F, 0x13, 0x37, 0x42};
    private static final String UNKNOWN_PATH = "/v1/no/such/path";

    @TempDir
    static Path temp;
    static SvyazServer server;
    static SvyazClient alice;
    static SvyazClient bob;
    /** Registered, then closed: tests talk to the server directly with its credentials. */
    static DeviceCredentials mallory;
    static Path malloryDir;
    static int probes;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(temp.resolve("server"));
        alice = register("alice.31");
        bob = register("bob.32");
        try (SvyazClient m = register("mallory.51")) {
            malloryDir = accounts().resolve(m.username());
        }
        mallory = credentials(malloryDir);
    }

    @AfterAll
    static void stop() {
        if (alice != null) {
            alice.close();
        }
        if (bob != null) {
            bob.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static Path accounts() {
        return temp.resolve("accounts");
    }

    private static SvyazClient register(String username) throws Exception {
        return SvyazClient.register(accounts(), server.inviteLink(), username, Clock.systemUTC());
    }

    /** The server still serves other users: a new message from alice reaches bob. */
    private static void assertStillServing() throws Exception {
        String text = "still serving, probe " + (++probes);
        alice.send("bob.32", text);
        List<ReceivedMessage> atBob = receiveUntil(bob, body(text));
        assertThat(atBob).last().satisfies(m -> {
            assertThat(m.body()).contains(text);
            assertThat(m.source()).isEqualTo("alice.31");
        });
    }

    private static void assertAnswers(RawSocket bystander) throws Exception {
        assertThat(bystander.call(UNKNOWN_PATH, ByteString.EMPTY).getError()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    private static ServerConnection anonymousConnection() throws ConnectionException {
        return ServerConnection.connect(server.inviteLink(), Optional.empty(),
                push -> Response.newBuilder().setError(ErrorCode.OK).build(), TIMEOUT);
    }

    private static ServerConnection connectionAs(DeviceCredentials credentials) throws ConnectionException {
        return ServerConnection.connect(server.inviteLink(), Optional.of(credentials),
                push -> Response.newBuilder().setError(ErrorCode.OK).build(), TIMEOUT);
    }

    // ---------------------------------------------------------------- WebSocket frames

    @Test
    void malformedBinaryFrameClosesWith1007() throws Exception {
        assertThatThrownBy(() -> Frame.parseFrom(NOT_PROTOBUF)).isInstanceOf(InvalidProtocolBufferException.class);
        try (RawSocket bystander = RawSocket.connect(server, Optional.empty());
             RawSocket bad = RawSocket.connect(server, Optional.empty())) {
            bad.sendBinary(NOT_PROTOBUF);
            assertThat(bad.awaitCloseStatus()).isEqualTo(1007);
            assertAnswers(bystander);
        }
        assertStillServing();
    }

    @Test
    void emptyBinaryFrameClosesWith1007() throws Exception {
        // Zero bytes parse as a Frame with neither a request nor a response.
        try (RawSocket bystander = RawSocket.connect(server, Optional.empty());
             RawSocket bad = RawSocket.connect(server, Optional.empty())) {
            bad.sendBinary(new byte[0]);
            assertThat(bad.awaitCloseStatus()).isEqualTo(1007);
            assertAnswers(bystander);
        }
        assertStillServing();
    }

    @Test
    void malformedFrameOnAuthenticatedConnectionClosesWith1007() throws Exception {
        try (RawSocket bystander = RawSocket.connect(server, Optional.empty());
             RawSocket bad = RawSocket.connect(server, mallory)) {
            assertThat(bad.call(ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance().toByteString())
                    .getError()).isEqualTo(ErrorCode.OK);
            bad.sendBinary(NOT_PROTOBUF);
            assertThat(bad.awaitCloseStatus()).isEqualTo(1007);
            assertAnswers(bystander);
        }
        assertStillServing();
    }

    @Test
    void textFrameClosesWith1003() throws Exception {
        try (RawSocket bystander = RawSocket.connect(server, Optional.empty());
             RawSocket bad = RawSocket.connect(server, Optional.empty())) {
            bad.sendText("{\"path\": \"/v1/accounts/register\"}");
            assertThat(bad.awaitCloseStatus()).isEqualTo(1003);
            assertAnswers(bystander);
        }
        assertStillServing();
    }

    @Test
    void oversizedFrameClosesWith1009() throws Exception {
        int limit = server.config().transport().maxFrameBytes();
        try (RawSocket bystander = RawSocket.connect(server, Optional.empty());
             RawSocket bad = RawSocket.connect(server, Optional.empty())) {
            // The server may close before it has read the whole frame, so the send is not awaited.
            bad.sendBinaryNoWait(new byte[limit + 1]);
            assertThat(bad.awaitCloseStatus()).isEqualTo(1009);
            assertAnswers(bystander);
        }
        assertStillServing();
    }

    @Test
    void frameOfExactlyTheLimitIsAccepted() throws Exception {
        // The boundary of the 1009 test: a request frame of exactly maxFrameBytes is read and answered.
        int limit = server.config().transport().maxFrameBytes();
        // Id 1 is what a fresh RawSocket gives its first request, so the sizes computed here are exact.
        Frame empty = Frame.newBuilder().setRequest(org.svyaz.protocol.wire.Request.newBuilder()
                .setId(1).setPath(UNKNOWN_PATH).setBody(ByteString.EMPTY)).build();
        int overhead = empty.getSerializedSize();
        // Body length varint and field tag grow with the body; find a body size that lands exactly on the limit.
        ByteString body = ByteString.EMPTY;
        for (int size = limit - overhead - 8; size <= limit; size++) {
            Frame candidate = empty.toBuilder().setRequest(empty.getRequest().toBuilder()
                    .setBody(ByteString.copyFrom(new byte[size]))).build();
            if (candidate.getSerializedSize() == limit) {
                body = candidate.getRequest().getBody();
                break;
            }
        }
        assertThat(body.size()).isPositive();
        try (RawSocket socket = RawSocket.connect(server, Optional.empty())) {
            assertThat(socket.call(UNKNOWN_PATH, body).getError()).isEqualTo(ErrorCode.NOT_FOUND);
        }
    }

    // ---------------------------------------------------------------- requests

    @Test
    void oversizedMessageIsRejectedAsTooLarge() throws Exception {
        int maxMessage = server.config().messages().maxMessageBytes();
        String text = "x".repeat(300 * 1024);
        assertThat(text.length()).isGreaterThan(maxMessage);
        assertThat(text.length() + 4096).isLessThan(server.config().transport().maxFrameBytes());
        assertThatThrownBy(() -> alice.send("bob.32", text))
                .isInstanceOfSatisfying(ServerRejectedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        assertStillServing();
    }

    @Test
    void messageSizeLimitIsExact() throws Exception {
        int maxMessage = server.config().messages().maxMessageBytes();
        try (RawSocket socket = RawSocket.connect(server, mallory)) {
            // At the limit the size passes; the send then fails on the (deliberately wrong) registration id.
            Response atLimit = socket.call(ApiPaths.MESSAGES_SEND, sendTo(bob.accountId(), maxMessage).toByteString());
            assertThat(atLimit.getError()).isEqualTo(ErrorCode.STALE_DEVICES);
            Response overLimit = socket.call(ApiPaths.MESSAGES_SEND,
                    sendTo(bob.accountId(), maxMessage + 1).toByteString());
            assertThat(overLimit.getError()).isEqualTo(ErrorCode.TOO_LARGE);
            // The connection survives a rejected request.
            assertThat(socket.call(ApiPaths.KEYS_COUNT, ByteString.EMPTY).getError()).isEqualTo(ErrorCode.OK);
        }
        assertStillServing();
    }

    @Test
    void sendsWithAWrongDeviceListAreRejectedNamingTheRightDevices() throws Exception {
        int bobsRegistrationId = registrationIdOf(bob);
        try (RawSocket socket = RawSocket.connect(server, mallory)) {
            SendRequest wrongDevice = SendRequest.newBuilder()
                    .setDestination(Uuids.toByteString(bob.accountId()))
                    .setTimestamp(1)
                    .addMessages(OutgoingMessage.newBuilder().setDeviceId(2).setRegistrationId(bobsRegistrationId)
                            .setType(EnvelopeType.CIPHERTEXT).setContent(ByteString.copyFrom(new byte[10])))
                    .build();
            Response missingAndExtra = socket.call(ApiPaths.MESSAGES_SEND, wrongDevice.toByteString());
            assertThat(missingAndExtra.getError()).isEqualTo(ErrorCode.STALE_DEVICES);
            StaleDevices devices = StaleDevices.parseFrom(missingAndExtra.getBody());
            assertThat(devices.getMissingList()).containsExactly(1);
            assertThat(devices.getExtraList()).containsExactly(2);
            assertThat(devices.getStaleList()).isEmpty();

            Response stale = socket.call(ApiPaths.MESSAGES_SEND, sendTo(bob.accountId(), 10).toByteString());
            assertThat(stale.getError()).isEqualTo(ErrorCode.STALE_DEVICES);
            StaleDevices staleDevices = StaleDevices.parseFrom(stale.getBody());
            assertThat(staleDevices.getStaleList()).containsExactly(1);
            assertThat(staleDevices.getMissingList()).isEmpty();
            assertThat(staleDevices.getExtraList()).isEmpty();
        }
        // Nothing of the rejected sends was stored: the next thing Bob sees is Alice's probe.
        String probe = "after stale sends " + (++probes);
        alice.send(bob.username(), probe);
        assertThat(receiveUntil(bob, body(probe))).extracting(m -> m.body().orElse("?")).containsExactly(probe);
    }

    private static int registrationIdOf(SvyazClient client) throws Exception {
        Path dir = accounts().resolve(client.username());
        try (org.svyaz.client.store.AccountDatabase db = org.svyaz.client.store.AccountDatabase.open(
                dir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return Integer.parseInt(new String(db.setting("registration_id"), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static SendRequest sendTo(UUID destination, int contentBytes) {
        return SendRequest.newBuilder()
                .setDestination(Uuids.toByteString(destination))
                .setTimestamp(1)
                .addMessages(OutgoingMessage.newBuilder()
                        .setDeviceId(1)
                        .setRegistrationId(0) // libsignal never assigns 0
                        .setType(EnvelopeType.CIPHERTEXT)
                        .setContent(ByteString.copyFrom(new byte[contentBytes])))
                .build();
    }

    @Test
    void unknownRecipientUsernameIsUnknownUser() throws Exception {
        assertThatThrownBy(() -> alice.send("nobody.99", "anyone there?")).isInstanceOf(UnknownUserException.class);
        assertStillServing();
    }

    @Test
    void unknownRecipientAccountIsNotFound() throws Exception {
        try (RawSocket socket = RawSocket.connect(server, mallory)) {
            Response response = socket.call(ApiPaths.MESSAGES_SEND, sendTo(UUID.randomUUID(), 100).toByteString());
            assertThat(response.getError()).isEqualTo(ErrorCode.NOT_FOUND);
            Response bundle = socket.call(ApiPaths.KEYS_BUNDLE, PreKeyBundleRequest.newBuilder()
                    .setAccountId(Uuids.toByteString(UUID.randomUUID())).build().toByteString());
            assertThat(bundle.getError()).isEqualTo(ErrorCode.NOT_FOUND);
        }
        assertStillServing();
    }

    @Test
    void unknownPathIsNotFoundOnAnonymousAndAuthenticatedConnections() throws Exception {
        try (ServerConnection anonymous = anonymousConnection();
             ServerConnection authenticated = connectionAs(mallory)) {
            assertThat(anonymous.call(UNKNOWN_PATH, KeyCountRequest.getDefaultInstance(), TIMEOUT).getError())
                    .isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(authenticated.call(UNKNOWN_PATH, KeyCountRequest.getDefaultInstance(), TIMEOUT).getError())
                    .isEqualTo(ErrorCode.NOT_FOUND);
            // A push path is the server's to call, not the device's.
            assertThat(authenticated.call(ApiPaths.PUSH_MESSAGE, KeyCountRequest.getDefaultInstance(), TIMEOUT)
                    .getError()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(authenticated.call(ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance(), TIMEOUT)
                    .getError()).isEqualTo(ErrorCode.OK);
        }
        assertStillServing();
    }

    @Test
    void anonymousConnectionMayNotCallAuthenticatedPaths() throws Exception {
        try (ServerConnection anonymous = anonymousConnection()) {
            for (String path : List.of(ApiPaths.USERNAME_LOOKUP, ApiPaths.KEYS_UPLOAD, ApiPaths.KEYS_COUNT,
                    ApiPaths.KEYS_BUNDLE, ApiPaths.MESSAGES_SEND)) {
                // Well-formed bodies, so only the missing authentication can be the reason.
                com.google.protobuf.Message body = switch (path) {
                    case ApiPaths.USERNAME_LOOKUP -> UsernameLookupRequest.newBuilder()
                            .setHash(ByteString.copyFrom(new byte[32])).build();
                    case ApiPaths.KEYS_UPLOAD -> KeyUpload.getDefaultInstance();
                    case ApiPaths.KEYS_BUNDLE -> PreKeyBundleRequest.newBuilder()
                            .setAccountId(Uuids.toByteString(bob.accountId())).build();
                    case ApiPaths.MESSAGES_SEND -> sendTo(bob.accountId(), 100);
                    default -> KeyCountRequest.getDefaultInstance();
                };
                assertThat(anonymous.call(path, body, TIMEOUT).getError()).as(path).isEqualTo(ErrorCode.UNAUTHORIZED);
            }
            assertThat(anonymous.isOpen()).isTrue();
        }
        assertStillServing();
    }

    @Test
    void wrongCredentialsAreRefusedAtTheUpgradeWith401() throws Exception {
        byte[] wrongPassword = mallory.password().clone();
        wrongPassword[0] ^= 1;
        List<DeviceCredentials> wrong = List.of(
                new DeviceCredentials(mallory.accountId(), mallory.deviceId(), wrongPassword),
                new DeviceCredentials(mallory.accountId(), mallory.deviceId() + 1, mallory.password()),
                new DeviceCredentials(UUID.randomUUID(), mallory.deviceId(), mallory.password()),
                new DeviceCredentials(mallory.accountId(), mallory.deviceId(), new byte[0]));
        for (DeviceCredentials credentials : wrong) {
            assertThatThrownBy(() -> connectionAs(credentials).close())
                    .isInstanceOfSatisfying(ConnectionException.class, e -> assertThat(e.unauthorized()).isTrue());
        }
        // Headers that are not Basic credentials at all get the same answer.
        for (String header : List.of("Bearer abc", "Basic !!!", "Basic " + Base64.getEncoder()
                .encodeToString("no-colon".getBytes(StandardCharsets.UTF_8)))) {
            assertThatThrownBy(() -> RawSocket.connect(server, Optional.of(header)).close())
                    .hasCauseInstanceOf(WebSocketHandshakeException.class)
                    .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
                            .as(header).isEqualTo(401));
        }
        // The right credentials still work: the refusals above were about the credentials.
        try (ServerConnection right = connectionAs(mallory)) {
            assertThat(right.call(ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance(), TIMEOUT).getError())
                    .isEqualTo(ErrorCode.OK);
        }
        assertStillServing();
    }

    @Test
    void malformedRequestBodyIsMalformedAndTheConnectionStaysOpen() throws Exception {
        assertThatThrownBy(() -> SendRequest.parseFrom(NOT_PROTOBUF)).isInstanceOf(InvalidProtocolBufferException.class);
        try (RawSocket authenticated = RawSocket.connect(server, mallory);
             RawSocket anonymous = RawSocket.connect(server, Optional.empty())) {
            assertThat(authenticated.call(ApiPaths.MESSAGES_SEND, ByteString.copyFrom(NOT_PROTOBUF)).getError())
                    .isEqualTo(ErrorCode.MALFORMED);
            assertThat(authenticated.call(ApiPaths.KEYS_BUNDLE, ByteString.copyFrom(NOT_PROTOBUF)).getError())
                    .isEqualTo(ErrorCode.MALFORMED);
            // A well-formed message that is not a valid request for the path (empty send) is malformed too.
            assertThat(authenticated.call(ApiPaths.MESSAGES_SEND, SendRequest.newBuilder()
                    .setDestination(Uuids.toByteString(bob.accountId())).build().toByteString()).getError())
                    .isEqualTo(ErrorCode.MALFORMED);
            assertThat(authenticated.call(ApiPaths.KEYS_COUNT, ByteString.EMPTY).getError()).isEqualTo(ErrorCode.OK);

            assertThat(anonymous.call(ApiPaths.REGISTER, ByteString.copyFrom(NOT_PROTOBUF)).getError())
                    .isEqualTo(ErrorCode.MALFORMED);
            assertAnswers(anonymous);
            assertThat(authenticated.closedByServer()).isFalse();
            assertThat(anonymous.closedByServer()).isFalse();
        }
        assertStillServing();
    }

    // ---------------------------------------------------------------- replays and prekeys

    @Test
    void replayedPreKeyEnvelopeIsShownOnce() throws Exception {
        try (SvyazClient rita = register("rita.41")) {
            try (AccountDatabase db = AccountDatabase.open(malloryDir.resolve(SvyazClient.ACCOUNT_FILE));
                 ServerConnection connection = connectionAs(mallory)) {
                // Mallory's own keys encrypt, so the ciphertext is genuine; only its delivery is doubled.
                SqliteSignalStore store = new SqliteSignalStore(db, Clock.systemUTC());
                PreKeyBundleResponse bundles = PreKeyBundleResponse.parseFrom(ok(connection.call(ApiPaths.KEYS_BUNDLE,
                        PreKeyBundleRequest.newBuilder().setAccountId(Uuids.toByteString(rita.accountId())).build(),
                        TIMEOUT)).getBody());
                DeviceBundle device = bundles.getDevices(0);
                SignalProtocolAddress address = new SignalProtocolAddress(rita.accountId().toString(),
                        device.getDeviceId());
                new SessionBuilder(store, address).process(toLibsignal(bundles, device));
                SessionCipher cipher = new SessionCipher(store, address);

                CiphertextMessage once = cipher.encrypt(content("only once"));
                assertThat(once.getType()).isEqualTo(CiphertextMessage.PREKEY_TYPE);
                SendRequest send = SendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(rita.accountId()))
                        .setTimestamp(System.currentTimeMillis())
                        .addMessages(OutgoingMessage.newBuilder()
                                .setDeviceId(device.getDeviceId())
                                .setRegistrationId(cipher.getRemoteRegistrationId())
                                .setType(EnvelopeType.PREKEY_MESSAGE)
                                .setContent(ByteString.copyFrom(once.serialize())))
                        .build();
                ok(connection.call(ApiPaths.MESSAGES_SEND, send, TIMEOUT));
                // The replay: the same ciphertext again, which the server stores as a second envelope.
                ok(connection.call(ApiPaths.MESSAGES_SEND, send, TIMEOUT));
                // A sentinel after both: once rita shows it, she has processed the replay.
                CiphertextMessage after = cipher.encrypt(content("after the replay"));
                ok(connection.call(ApiPaths.MESSAGES_SEND, send.toBuilder().setMessages(0, send.getMessages(0)
                        .toBuilder().setContent(ByteString.copyFrom(after.serialize()))).build(), TIMEOUT));
            }
            List<ReceivedMessage> atRita = receiveUntil(rita, body("after the replay"));
            assertThat(atRita)
                    .extracting(m -> m.body().orElse("undecryptable: " + m.error().orElse("?")))
                    .containsExactly("only once", "after the replay");
            assertThat(atRita).allSatisfy(m -> assertThat(m.source()).isEqualTo("mallory.51"));
        }
        assertStillServing();
    }

    private static byte[] content(String text) {
        return Content.newBuilder()
                .setDataMessage(DataMessage.newBuilder().setBody(text).setTimestamp(System.currentTimeMillis()))
                .setSenderUsername("mallory.51")
                .build().toByteArray();
    }

    private static Response ok(Response response) {
        assertThat(response.getError()).as(response.getMessage()).isEqualTo(ErrorCode.OK);
        return response;
    }

    private static PreKeyBundle toLibsignal(PreKeyBundleResponse bundles, DeviceBundle device) throws Exception {
        return new PreKeyBundle(device.getRegistrationId(), device.getDeviceId(),
                device.getPreKey().getId(), new ECPublicKey(device.getPreKey().getPublicKey().toByteArray()),
                device.getSignedPreKey().getId(),
                new ECPublicKey(device.getSignedPreKey().getPublicKey().toByteArray()),
                device.getSignedPreKey().getSignature().toByteArray(),
                new IdentityKey(bundles.getIdentityKey().toByteArray()),
                device.getKyberPreKey().getId(),
                new KEMPublicKey(device.getKyberPreKey().getPublicKey().toByteArray()),
                device.getKyberPreKey().getSignature().toByteArray());
    }

    @Test
    void eachOneTimePreKeyIsHandedOutOnlyOnce() throws Exception {
        int pool = PreKeyGenerator.BATCH;
        UUID target;
        try (SvyazClient olga = register("olga.61")) {
            // Registered and never connected: the server holds exactly the initial batch.
            target = olga.accountId();
        }
        // One-time keys go to each fetcher only up to its limit, so enough fetchers to take them all.
        int perFetcher = RateLimit.PREKEY_FETCHES.burst();
        List<ServerConnection> fetchers = new ArrayList<>();
        for (int i = 0; i < (pool + perFetcher - 1) / perFetcher; i++) {
            try (SvyazClient fetcher = register("fetcher." + (10 + i))) {
                fetchers.add(connectionAs(credentials(accounts().resolve(fetcher.username()))));
            }
        }
        PreKeyBundleRequest request = PreKeyBundleRequest.newBuilder().setAccountId(Uuids.toByteString(target)).build();
        List<DeviceBundle> handedOut = new ArrayList<>();
        ServerConnection first = fetchers.getFirst();
        ServerConnection second = fetchers.getLast();
        try {
            // The fetchers ask at once, all requests in flight together, to race the takes.
            List<CompletableFuture<Response>> responses = new ArrayList<>();
            for (int i = 0; i < pool; i++) {
                responses.add(fetchers.get(i / perFetcher).request(ApiPaths.KEYS_BUNDLE, request));
            }
            for (CompletableFuture<Response> response : responses) {
                Response answer = ok(response.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                handedOut.add(PreKeyBundleResponse.parseFrom(answer.getBody()).getDevices(0));
            }
            assertThat(handedOut).allSatisfy(b -> assertThat(b.hasPreKey()).isTrue());
            Set<Integer> preKeyIds = new HashSet<>();
            Set<Integer> kyberIds = new HashSet<>();
            handedOut.forEach(b -> {
                preKeyIds.add(b.getPreKey().getId());
                kyberIds.add(b.getKyberPreKey().getId());
            });
            assertThat(preKeyIds).hasSize(pool);
            assertThat(kyberIds).hasSize(pool);

            // The pool is used up: no one-time EC key any more, and the Kyber key is the last-resort
            // one, the same for everybody and none of the one-time ids.
            DeviceBundle exhausted1 = PreKeyBundleResponse.parseFrom(
                    ok(first.call(ApiPaths.KEYS_BUNDLE, request, TIMEOUT)).getBody()).getDevices(0);
            DeviceBundle exhausted2 = PreKeyBundleResponse.parseFrom(
                    ok(second.call(ApiPaths.KEYS_BUNDLE, request, TIMEOUT)).getBody()).getDevices(0);
            assertThat(exhausted1.hasPreKey()).isFalse();
            assertThat(exhausted2.hasPreKey()).isFalse();
            assertThat(exhausted1.getKyberPreKey().getId()).isEqualTo(exhausted2.getKyberPreKey().getId())
                    .isNotIn(kyberIds);
        } finally {
            fetchers.forEach(ServerConnection::close);
        }
        assertStillServing();
    }

    // ---------------------------------------------------------------- invite links

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "hello",
        "https://server/abc",
        "svyaz://servers/abc",
        "svyaz://server/",
        "svyaz://server/!!!not-base64!!!",
        "svyaz://server/Z2FyYmFnZSBieXRlcw",
        "svyaz://server/abc?invite=not a code",
    })
    void garbageInviteLinksAreRejected(String link) {
        assertThatThrownBy(() -> InviteLink.parse(link)).isInstanceOf(InvalidInviteLinkException.class);
    }

    @Test
    void inviteLinkWithWrongPrefixIsRejected() throws Exception {
        String good = server.inviteLink().toString();
        assertThat(InviteLink.parse(good).descriptor()).isEqualTo(server.inviteLink().descriptor());
        String rest = good.substring(InviteLink.PREFIX.length());
        for (String prefix : List.of("https://server/", "svyaz://client/", "SVYAZ://SERVER/", "svyaz:/server/")) {
            assertThatThrownBy(() -> InviteLink.parse(prefix + rest)).as(prefix)
                    .isInstanceOf(InvalidInviteLinkException.class);
        }
    }

    @Test
    void tamperedInviteLinksAreRejected() throws Exception {
        InviteLink good = server.inviteLink();
        SignedServerDescriptor signed = good.signed();

        byte[] signature = signed.getSignature().toByteArray();
        signature[signature.length / 2] ^= 0x01;
        assertThatThrownBy(() -> InviteLink.parse(link(signed.toBuilder()
                .setSignature(ByteString.copyFrom(signature)).build())))
                .isInstanceOf(InvalidInviteLinkException.class);

        // Redirecting the link to another address (or pin) with the original signature.
        ServerDescriptor descriptor = good.descriptor();
        ServerDescriptor redirected = descriptor.toBuilder()
                .setEndpoints(0, descriptor.getEndpoints(0).toBuilder().setPort(descriptor.getEndpoints(0).getPort() + 1))
                .build();
        assertThatThrownBy(() -> InviteLink.parse(link(signed.toBuilder()
                .setDescriptorBytes(redirected.toByteString()).build())))
                .isInstanceOf(InvalidInviteLinkException.class);
        ServerDescriptor repinned = descriptor.toBuilder().setTlsKeyPins(0, ByteString.copyFrom(new byte[32])).build();
        assertThatThrownBy(() -> InviteLink.parse(link(signed.toBuilder()
                .setDescriptorBytes(repinned.toByteString()).build())))
                .isInstanceOf(InvalidInviteLinkException.class);

        assertThatThrownBy(() -> InviteLink.parse(link(signed.toBuilder().clearSignature().build())))
                .isInstanceOf(InvalidInviteLinkException.class);
        // The untampered link still parses: the rejections above are about the tampering.
        assertThat(InviteLink.parse(link(signed)).descriptor()).isEqualTo(descriptor);
    }

    private static String link(SignedServerDescriptor signed) {
        return InviteLink.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(signed.toByteArray());
    }

    @Test
    void registeringThroughALinkWithAnotherServersPinFails() throws Exception {
        // A well-formed link signed by someone else, naming this server's address but another TLS key:
        // the pin check must stop the client before it sends anything.
        KeyPair impostor = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] otherPin = new byte[32];
        new SecureRandom().nextBytes(otherPin);
        ServerDescriptor descriptor = server.inviteLink().descriptor().toBuilder()
                .setIdentityKey(ByteString.copyFrom(impostor.getPublic().getEncoded()))
                .clearTlsKeyPins().addTlsKeyPins(ByteString.copyFrom(otherPin))
                .build();
        InviteLink wrongPin = InviteLink.parse(InviteLink.sign(descriptor, impostor.getPrivate(), Optional.empty())
                .toString());
        assertThatThrownBy(() -> SvyazClient.register(temp.resolve("impostor"), wrongPin, "pinned.81",
                Clock.systemUTC())).isInstanceOf(NetworkException.class);
        // Nothing reached the server: the username is still free.
        register("pinned.81").close();
        assertStillServing();
    }
}
