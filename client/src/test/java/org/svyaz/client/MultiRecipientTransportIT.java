// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.credentials;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.UnknownRecipients;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.message.MessageMetrics;

/**
 * The multi-recipient paths through the real transport: routed, authenticated or anonymous as
 * declared, answered with their typed errors, counted once per request, and a payload for the
 * largest group with the largest message fits in one frame. The payloads are hand-built (the
 * server cannot tell); that they open on the recipients' devices is the server module's unit test.
 */
class MultiRecipientTransportIT {
    @TempDir
    static Path temp;
    static SvyazServer server;
    static SvyazClient alice;
    static SvyazClient bob;
    static SvyazClient carol;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(temp.resolve("server"));
        alice = SvyazClient.register(temp.resolve("accounts"), server.inviteLink(), "alice.71", Clock.systemUTC());
        bob = SvyazClient.register(temp.resolve("accounts"), server.inviteLink(), "bob.72", Clock.systemUTC());
        carol = SvyazClient.register(temp.resolve("accounts"), server.inviteLink(), "carol.73", Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        for (SvyazClient client : new SvyazClient[] {alice, bob, carol}) {
            if (client != null) {
                client.close();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void oneAuthenticatedRequestIsOneSendThatStoresOneEnvelopePerDevice() throws Exception {
        MessageMetrics metrics = server.messageMetrics();
        long sends = metrics.multiRecipientSends();
        long singles = metrics.singleSends();
        long stored = metrics.storedEnvelopes();
        double authenticated = authenticatedMultiRecipientSends();
        byte[] payload = payload(64, recipient(bob), recipient(carol));

        try (RawSocket socket = RawSocket.connect(server, credentials(dir(alice)))) {
            Response response = socket.call(ApiPaths.MESSAGES_SEND_MULTI, request(payload, ByteString.EMPTY));
            assertThat(response.getError()).as(response.getMessage()).isEqualTo(ErrorCode.OK);
        }

        assertThat(metrics.multiRecipientSends()).isEqualTo(sends + 1);
        assertThat(metrics.singleSends()).isEqualTo(singles);
        assertThat(metrics.storedEnvelopes()).isEqualTo(stored + 2);
        // The same number as Prometheus shows it, by meter name and tag.
        assertThat(authenticatedMultiRecipientSends()).isEqualTo(authenticated + 1);
    }

    private static double authenticatedMultiRecipientSends() {
        return server.meterRegistry().get(MessageMetrics.MULTI_RECIPIENT_SENDS)
                .tag(MessageMetrics.ACCESS_TAG, MessageMetrics.AUTHENTICATED).counter().count();
    }

    @Test
    void theAuthenticatedPathNamesUnknownRecipientsAndNeedsCredentials() throws Exception {
        UUID nobody = UUID.randomUUID();
        byte[] payload = payload(64, recipient(bob), new Addressee(nobody, 1, 1));

        try (RawSocket socket = RawSocket.connect(server, credentials(dir(alice)));
             RawSocket anonymous = RawSocket.connect(server, Optional.empty())) {
            Response unknown = socket.call(ApiPaths.MESSAGES_SEND_MULTI, request(payload, ByteString.EMPTY));
            assertThat(unknown.getError()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(UnknownRecipients.parseFrom(unknown.getBody()).getAccountIdsList())
                    .containsExactly(Uuids.toByteString(nobody));

            assertThat(anonymous.call(ApiPaths.MESSAGES_SEND_MULTI, request(payload, ByteString.EMPTY)).getError())
                    .isEqualTo(ErrorCode.UNAUTHORIZED);
        }
    }

    @Test
    void theSealedPathTakesTheCombinedAccessKeyOnAnAnonymousConnection() throws Exception {
        MessageMetrics metrics = server.messageMetrics();
        long sealed = metrics.multiRecipientSealedSends();
        byte[] payload = payload(64, recipient(bob), recipient(carol));
        byte[] combined = xor(accessKey(bob), accessKey(carol));
        byte[] wrong = combined.clone();
        wrong[3] ^= 0x10;

        try (RawSocket anonymous = RawSocket.connect(server, Optional.empty())) {
            assertThat(anonymous.call(ApiPaths.MESSAGES_SEND_MULTI_SEALED, request(payload, ByteString.copyFrom(wrong)))
                    .getError()).isEqualTo(ErrorCode.UNAUTHORIZED);
            Response ok = anonymous.call(ApiPaths.MESSAGES_SEND_MULTI_SEALED, request(payload, ByteString.copyFrom(combined)));
            assertThat(ok.getError()).as(ok.getMessage()).isEqualTo(ErrorCode.OK);
        }
        assertThat(metrics.multiRecipientSealedSends()).isEqualTo(sealed + 1);
    }

    @Test
    void thePayloadForTheLargestGroupWithTheLargestMessageFitsInOneFrame() throws Exception {
        int members = server.config().messages().maxMultiRecipients();
        Addressee[] recipients = new Addressee[members];
        for (int i = 0; i < members; i++) {
            recipients[i] = new Addressee(UUID.randomUUID(), 1, 1);
        }
        byte[] payload = payload(server.config().messages().maxMessageBytes(), recipients);

        try (RawSocket socket = RawSocket.connect(server, credentials(dir(alice)))) {
            // Read and answered (a frame over the limit would close the connection with 1009 instead):
            // a thousand copies of the largest message exceed the fan-out limit.
            Response response = socket.call(ApiPaths.MESSAGES_SEND_MULTI, request(payload, ByteString.EMPTY));
            assertThat(response.getError()).as(response.getMessage()).isEqualTo(ErrorCode.TOO_LARGE);
            // One more byte of message is refused for its size, not the frame's.
            byte[] larger = payload(server.config().messages().maxMessageBytes() + 1, recipients);
            assertThat(socket.call(ApiPaths.MESSAGES_SEND_MULTI, request(larger, ByteString.EMPTY)).getError())
                    .isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(socket.closedByServer()).isFalse();
        }
    }

    // ---- helpers ----

    private static Path dir(SvyazClient client) {
        return temp.resolve("accounts").resolve(client.username());
    }

    /** One device the payload addresses. */
    private record Addressee(UUID accountId, int deviceId, int registrationId) {}

    /** The client's only device, with the registration id it registered. */
    private static Addressee recipient(SvyazClient client) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(dir(client).resolve(SvyazClient.ACCOUNT_FILE))) {
            int registrationId = Integer.parseInt(new String(db.setting("registration_id"), StandardCharsets.UTF_8));
            return new Addressee(client.accountId(), 1, registrationId);
        }
    }

    private static byte[] accessKey(SvyazClient client) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(dir(client).resolve(SvyazClient.ACCOUNT_FILE))) {
            return ProfileCipher.accessKey(db.setting("profile_key"));
        }
    }

    /** A 0x23 SentMessage: each recipient with one device and dummy key material, then {@code sharedBytes} bytes. */
    private static byte[] payload(int sharedBytes, Addressee... recipients) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x23);
        for (int count = recipients.length; ; count >>>= 7) {
            if (count < 0x80) {
                out.write(count);
                break;
            }
            out.write((count & 0x7F) | 0x80);
        }
        for (Addressee recipient : recipients) {
            out.write(0x00); // ACI
            out.writeBytes(Uuids.toBytes(recipient.accountId()));
            out.write(recipient.deviceId());
            out.write(recipient.registrationId() >>> 8);
            out.write(recipient.registrationId() & 0xFF);
            out.writeBytes(new byte[48]);
        }
        out.writeBytes(new byte[sharedBytes]);
        return out.toByteArray();
    }

    private static ByteString request(byte[] payload, ByteString combinedAccessKey) {
        return MultiRecipientSendRequest.newBuilder()
                .setPayload(ByteString.copyFrom(payload))
                .setTimestamp(1)
                .setCombinedAccessKey(combinedAccessKey)
                .build().toByteString();
    }

    private static byte[] xor(byte[] a, byte[] b) {
        byte[] combined = new byte[16];
        for (int i = 0; i < 16; i++) {
            combined[i] = (byte) (a[i] ^ b[i]);
        }
        return combined;
    }
}
