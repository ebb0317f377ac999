// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.certificate.ServerCertificate;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.server.SvyazServer;

/** Sealed sender: the server stores and delivers messages without knowing who sent them. */
class SealedSenderIT {
    @TempDir
    Path temp;

    @Test
    void contactsTalkSealedAndTheServerCannotTellWhoSent() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.42", Clock.systemUTC())) {
            Path aliceDir;
            java.util.UUID aliceId;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.41",
                    Clock.systemUTC())) {
                aliceDir = temp.resolve("a").resolve(alice.username());
                aliceId = alice.accountId();
                // First contact: Alice has no profile key of Bob's yet, so this one is identified, and says so.
                assertThat(alice.send("bob.42", "hi, it's alice").sealed()).isFalse();
            } // Alice goes offline, so what Bob sends next waits in her mailbox.
            assertThat(receiveUntil(bob, body("hi, it's alice"))).last()
                    .satisfies(m -> assertThat(m.source()).isEqualTo("alice.41"));
            // Bob now holds Alice's profile key: his reply is sealed.
            assertThat(bob.send("alice.41", "sealed reply").sealed()).isTrue();

            // While the sealed messages wait in Alice's mailbox (the delivery receipt Bob's receive
            // sent, then his reply), nothing stored with them names Bob.
            List<byte[]> waiting = mailboxRows(data, aliceId);
            assertThat(waiting).hasSize(2);
            byte[] bobId = Uuids.toBytes(bob.accountId());
            for (byte[] row : waiting) {
                assertThat(Bytes.indexOf(row, bobId)).as("Bob's account id in Alice's mailbox row").isNegative();
                assertThat(Bytes.indexOf(row, bob.accountId().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        .isNegative();
            }
            for (byte[] stored : mailboxEnvelopes(data, aliceId)) {
                org.svyaz.protocol.wire.Envelope envelope = org.svyaz.protocol.wire.Envelope.parseFrom(stored);
                assertThat(envelope.getType()).isEqualTo(EnvelopeType.UNIDENTIFIED_SENDER);
                assertThat(envelope.getSourceAccount().isEmpty()).as("the envelope names no sender").isTrue();
                assertThat(envelope.getSourceDevice()).isZero();
            }

            try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC())) {
                List<ReceivedMessage> atAlice = receiveUntil(alice, body("sealed reply"));
                assertThat(atAlice).first().satisfies(m -> assertThat(m.signal())
                        .containsInstanceOf(org.svyaz.client.api.ReceivedSignal.Receipt.class));
                assertThat(atAlice).last().satisfies(m -> {
                    assertThat(m.source()).isEqualTo("bob.42");
                    assertThat(m.sourceAccount()).isEqualTo(bob.accountId());
                    assertThat(m.untrusted()).isFalse();
                });
                // Alice has Bob's key now too: from here on both directions are sealed.
                assertThat(alice.send("bob.42", "sealed both ways").sealed()).isTrue();
                assertThat(receiveUntil(bob, body("sealed both ways"))).last()
                        .satisfies(m -> assertThat(m.source()).isEqualTo("alice.41"));
            }
        }
    }

    @Test
    void aUserWhoAcceptsSealedMessagesFromAnyoneGetsThemFromStrangersToo() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.47", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.48", Clock.systemUTC())) {
            bob.setUnrestrictedSealedSender(true);
            assertThat(alice.send("bob.48", "sealed without a profile key").sealed()).isTrue();
            assertThat(receiveUntil(bob, body("sealed without a profile key"))).last()
                    .satisfies(m -> assertThat(m.source()).isEqualTo("alice.47"));

            bob.setUnrestrictedSealedSender(false);
            try (SvyazClient carol = SvyazClient.register(temp.resolve("c"), server.inviteLink(), "carol.49",
                    Clock.systemUTC())) {
                assertThat(carol.send("bob.48", "identified again").sealed()).isFalse();
            }
            assertThat(receiveUntil(bob, body("identified again"))).last()
                    .satisfies(m -> assertThat(m.source()).isEqualTo("carol.49"));
        }
    }

    @Test
    void oneSenderUsingUpItsSealedBudgetDoesNotStopAnothersSealedMessages() throws Exception {
        int burst = 5;
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withSendLimit(burst, 0.001));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.51", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.52", Clock.systemUTC())) {
            bob.setUnrestrictedSealedSender(true);
            // Mallory, any anonymous client, spends the whole sealed budget towards Bob (bounded: burst + 5 tries).
            int bobsRegistrationId = registrationIdOf(temp.resolve("b").resolve(bob.username()));
            ByteString junk = sealedSend(bob, new byte[16]).toBuilder()
                    .setMessages(0, sealedSend(bob, new byte[16]).getMessages(0).toBuilder()
                            .setRegistrationId(bobsRegistrationId))
                    .build().toByteString();
            try (RawSocket mallory = RawSocket.connect(server, Optional.empty())) {
                for (int i = 0; i < burst; i++) {
                    Response sent = mallory.call(ApiPaths.MESSAGES_SEND_SEALED, junk);
                    assertThat(sent.getError()).as(sent.getMessage()).isEqualTo(ErrorCode.OK);
                }
                for (int i = 0; i < 5; i++) {
                    assertThat(mallory.call(ApiPaths.MESSAGES_SEND_SEALED, junk).getError())
                            .isEqualTo(ErrorCode.RATE_LIMITED);
                }
            }
            // Alice's sealed message to Bob still goes through: the budget Mallory used up was Mallory's.
            assertThat(alice.send("bob.52", "sealed despite mallory").sealed()).isTrue();
            assertThat(receiveUntil(bob, body("sealed despite mallory"))).last()
                    .satisfies(m -> assertThat(m.source()).isEqualTo("alice.51"));
        }
    }

    @Test
    void wrongOrMissingAccessKeyIsRefusedAndNothingIsStored() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.43", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.44", Clock.systemUTC())) {
            bob.resolve("alice.43");
            try (RawSocket anonymous = RawSocket.connect(server, Optional.empty())) {
                for (byte[] key : List.of(new byte[16], new byte[0], new byte[15])) {
                    Response response = anonymous.call(ApiPaths.MESSAGES_SEND_SEALED, sealedSend(bob, key).toByteString());
                    assertThat(response.getError()).isEqualTo(ErrorCode.UNAUTHORIZED);
                    assertThat(response.getMessage()).contains("access key");
                }
                // An unknown recipient answers exactly like a wrong key: the path cannot probe for accounts.
                Response unknown = anonymous.call(ApiPaths.MESSAGES_SEND_SEALED,
                        sealedSend(java.util.UUID.randomUUID(), new byte[16]).toByteString());
                assertThat(unknown.getError()).isEqualTo(ErrorCode.UNAUTHORIZED);
                assertThat(unknown.getMessage()).isEqualTo(anonymous.call(ApiPaths.MESSAGES_SEND_SEALED,
                        sealedSend(bob, new byte[16]).toByteString()).getMessage());
            }
            // None of the refused sends was stored: the next thing Bob gets is a real message.
            alice.send("bob.44", "the real one");
            assertThat(receiveUntil(bob, body("the real one"))).extracting(m -> m.body().orElse("error"))
                    .containsExactly("the real one");
        }
    }

    @Test
    void forgedAndExpiredSenderCertificatesAreRejectedAndReportedNotShown() throws Exception {
        MovableClock serverClock = new MovableClock();
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withClock(serverClock));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.45", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.46", Clock.systemUTC())) {
            bob.send("alice.45", "hello");
            receiveUntil(alice, body("hello"));
            assertThat(alice.send("bob.46", "a genuine sealed message").sealed()).isTrue();
            receiveUntil(bob, body("a genuine sealed message"));

            // Forged: Alice's own session, but a certificate chained to a trust root the link does not name.
            Path aliceDir = temp.resolve("a").resolve(alice.username());
            ECKeyPair fakeRoot = ECKeyPair.generate();
            ECKeyPair fakeServer = ECKeyPair.generate();
            SenderCertificate forged = new ServerCertificate(fakeRoot.getPrivateKey(), 1, fakeServer.getPublicKey())
                    .issue(fakeServer.getPrivateKey(), alice.accountId().toString(), Optional.empty(), 1,
                            identityKeyOf(aliceDir).getPublicKey(), System.currentTimeMillis() + 86_400_000L);
            byte[] forgedMessage;
            try (AccountDatabase db = AccountDatabase.open(aliceDir.resolve(SvyazClient.ACCOUNT_FILE))) {
                SqliteSignalStore store = new SqliteSignalStore(db, Clock.systemUTC());
                forgedMessage = new SealedSessionCipher(store, alice.accountId(), null, 1)
                        .encrypt(new SignalProtocolAddress(bob.accountId().toString(), 1), forged,
                                Content.newBuilder().setDataMessage(DataMessage.newBuilder().setBody("forged")).build()
                                        .toByteArray());
            }
            try (RawSocket anonymous = RawSocket.connect(server, Optional.empty())) {
                SealedSendRequest request = SealedSendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(bob.accountId()))
                        .setAccessKey(ByteString.copyFrom(ProfileCipher.accessKey(profileKeyOf(temp.resolve("b")
                                .resolve(bob.username())))))
                        .setTimestamp(1)
                        .addMessages(OutgoingMessage.newBuilder().setDeviceId(1)
                                .setRegistrationId(registrationIdOf(temp.resolve("b").resolve(bob.username())))
                                .setType(EnvelopeType.UNIDENTIFIED_SENDER).setContent(ByteString.copyFrom(forgedMessage)))
                        .build();
                assertThat(anonymous.call(ApiPaths.MESSAGES_SEND_SEALED, request.toByteString()).getError())
                        .isEqualTo(ErrorCode.OK);
            }
            List<ReceivedMessage> forgedAtBob = receiveUntil(bob, m -> m.error().isPresent());
            assertThat(forgedAtBob).last().satisfies(m -> {
                assertThat(m.body()).isEmpty();
                assertThat(m.error()).hasValueSatisfying(e -> assertThat(e).contains("certificate is invalid or expired"));
                assertThat(m.sourceAccount()).isEqualTo(SvyazClient.UNKNOWN_SENDER);
            });

            // Expired: Alice's cached certificate is a day old by the time the server receives her message.
            serverClock.advance(Duration.ofDays(2));
            alice.send("bob.46", "too late");
            List<ReceivedMessage> expiredAtBob = receiveUntil(bob, m -> m.error().isPresent());
            assertThat(expiredAtBob).last().satisfies(m -> {
                assertThat(m.body()).isEmpty();
                assertThat(m.error()).hasValueSatisfying(e -> assertThat(e).contains("invalid or expired"));
            });
            assertThat(expiredAtBob).noneMatch(m -> m.body().filter("too late"::equals).isPresent());
        }
    }

    private static SealedSendRequest sealedSend(SvyazClient to, byte[] accessKey) throws Exception {
        return sealedSend(to.accountId(), accessKey);
    }

    private static SealedSendRequest sealedSend(java.util.UUID to, byte[] accessKey) {
        return SealedSendRequest.newBuilder()
                .setDestination(Uuids.toByteString(to))
                .setAccessKey(ByteString.copyFrom(accessKey))
                .setTimestamp(1)
                .addMessages(OutgoingMessage.newBuilder().setDeviceId(1).setRegistrationId(1)
                        .setType(EnvelopeType.UNIDENTIFIED_SENDER).setContent(ByteString.copyFrom(new byte[64])))
                .build();
    }

    private static org.signal.libsignal.protocol.IdentityKey identityKeyOf(Path accountDir) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return new SqliteSignalStore(db, Clock.systemUTC()).getIdentityKeyPair().getPublicKey();
        }
    }

    private static byte[] profileKeyOf(Path accountDir) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return db.setting("profile_key");
        }
    }

    private static int registrationIdOf(Path accountDir) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return new SqliteSignalStore(db, Clock.systemUTC()).getLocalRegistrationId();
        }
    }

    /** Every column of every mailbox row of the account, concatenated per row, read from the server's file. */
    private static List<byte[]> mailboxRows(Path data, java.util.UUID account) throws Exception {
        return queryMailbox(data, account, "SELECT seq, account_id, device_id, guid, envelope, stored_at FROM mailbox "
                + "WHERE account_id = ?", true);
    }

    private static List<byte[]> mailboxEnvelopes(Path data, java.util.UUID account) throws Exception {
        return queryMailbox(data, account, "SELECT envelope FROM mailbox WHERE account_id = ?", false);
    }

    private static List<byte[]> queryMailbox(Path data, java.util.UUID account, String sql, boolean allColumns)
            throws Exception {
        List<byte[]> rows = new java.util.ArrayList<>();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("svyaz.db"));
             java.sql.PreparedStatement query = db.prepareStatement(sql)) {
            query.setBytes(1, Uuids.toBytes(account));
            try (java.sql.ResultSet result = query.executeQuery()) {
                while (result.next()) {
                    java.io.ByteArrayOutputStream row = new java.io.ByteArrayOutputStream();
                    int columns = allColumns ? result.getMetaData().getColumnCount() : 1;
                    for (int i = 1; i <= columns; i++) {
                        byte[] value = result.getBytes(i);
                        row.write(value == null ? new byte[0] : value);
                    }
                    rows.add(row.toByteArray());
                }
            }
        }
        return rows;
    }

}
