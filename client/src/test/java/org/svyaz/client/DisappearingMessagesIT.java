// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.server.SvyazServer;

/** A per-conversation timer, agreed by both sides, after which messages are gone from the client's files. */
class DisappearingMessagesIT {
    private static final String SECRET = "the password is swordfish";
    private static final String REPLY = "understood, burning this";
    private static final String KEPT = "this one stays";

    @TempDir
    Path temp;

    @Test
    void bothSidesDeleteExpiredMessagesFromTheirDatabases() throws Exception {
        MovableClock aliceClock = new MovableClock();
        MovableClock bobClock = new MovableClock();
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.81", aliceClock);
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.82", bobClock)) {
            Path aliceDir = temp.resolve("a").resolve(alice.username());
            Path bobDir = temp.resolve("b").resolve(bob.username());

            alice.setExpirationTimer("bob.82", 60);
            List<ReceivedMessage> update = receiveUntil(bob, ReceivedMessage::timerUpdate);
            assertThat(update).last().satisfies(m -> {
                assertThat(m.expiresInSeconds()).isEqualTo(60);
                assertThat(m.body()).isEmpty();
            });
            assertThat(bob.expirationTimer("alice.81")).as("Bob's side adopted Alice's timer").isEqualTo(60);

            alice.send("bob.82", SECRET);
            assertThat(receiveUntil(bob, body(SECRET))).last()
                    .satisfies(m -> assertThat(m.expiresInSeconds()).isEqualTo(60));
            // Bob's reply carries the same timer without him setting anything.
            bob.send("alice.81", REPLY);
            assertThat(receiveUntil(alice, body(REPLY))).last()
                    .satisfies(m -> assertThat(m.expiresInSeconds()).isEqualTo(60));
            assertThat(filesContaining(bobDir, SECRET)).as("before the timer runs out").isNotEmpty();
            assertThat(filesContaining(aliceDir, SECRET)).as("Alice keeps a copy of what she sent").isNotEmpty();

            bobClock.advance(Duration.ofSeconds(59));
            assertThat(bob.deleteExpiredMessages()).as("not yet").isZero();
            bobClock.advance(Duration.ofSeconds(2));
            // The timer notice and the secret, and Bob's own copy of his reply (its timer ran from sending).
            assertThat(bob.deleteExpiredMessages()).isEqualTo(3);
            assertThat(filesContaining(bobDir, SECRET)).as("gone from Bob's files, not only hidden").isEmpty();

            aliceClock.advance(Duration.ofSeconds(61));
            assertThat(alice.deleteExpiredMessages()).isEqualTo(2); // the reply and her copy of the secret
            assertThat(filesContaining(aliceDir, REPLY)).as("gone from Alice's files").isEmpty();
            assertThat(filesContaining(aliceDir, SECRET)).as("her sent copy too").isEmpty();
            assertThat(filesContaining(bobDir, REPLY)).as("and Bob's sent copy").isEmpty();

            // Turning the timer off: later messages stay.
            alice.setExpirationTimer("bob.82", 0);
            alice.send("bob.82", KEPT);
            assertThat(receiveUntil(bob, body(KEPT))).last().satisfies(m -> assertThat(m.expiresInSeconds()).isZero());
            bobClock.advance(Duration.ofDays(365));
            bob.deleteExpiredMessages();
            assertThat(filesContaining(bobDir, KEPT)).isNotEmpty();
        }
    }

    private static List<Path> filesContaining(Path dir, String text) throws Exception {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(file -> {
                try {
                    return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)
                            .contains(new String(needle, StandardCharsets.ISO_8859_1));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
