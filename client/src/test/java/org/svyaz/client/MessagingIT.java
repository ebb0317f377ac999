// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.server.SvyazServer;

class MessagingIT {
    @TempDir
    Path temp;

    @Test
    void twoUsersExchangeMessagesBothWaysIncludingWhileOffline() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"))) {
            try (SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.11", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.22", Clock.systemUTC())) {
                // Bob has never connected since registering: he is offline while Alice sends.
                alice.send("bob.22", "hello bob");
                alice.send("bob.22", "second");

                List<ReceivedMessage> atBob = receiveAll(bob, 2);
                assertThat(atBob).extracting(m -> m.body().orElseThrow()).containsExactly("hello bob", "second");
                assertThat(atBob).allSatisfy(m -> {
                    assertThat(m.source()).isEqualTo("alice.11");
                    assertThat(m.untrusted()).isFalse();
                });

                bob.send("alice.11", "hi alice");
                List<ReceivedMessage> atAlice = receiveAll(alice, 1);
                assertThat(atAlice).extracting(m -> m.body().orElseThrow()).containsExactly("hi alice");
                assertThat(atAlice.getFirst().source()).isEqualTo("bob.22");
                // Before it, Alice was shown the delivery receipts Bob's receive sent for her two.
                assertThat(alice.conversation("bob.22")).filteredOn(ConversationMessage::outgoing)
                        .hasSize(2).allSatisfy(m -> assertThat(m.deliveredAt()).isPresent());
            }
        }
    }

    /**
     * Receives until {@code expected} messages were shown (or 20 s pass) and returns them. Signals
     * shown meanwhile (the delivery receipts for what this client sent, ...) are left out: tests
     * of signals look at them with {@link TestAccounts#receiveUntil}.
     */
    static List<ReceivedMessage> receiveAll(SvyazClient client, int expected) throws Exception {
        List<ReceivedMessage> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (received.size() < expected && System.nanoTime() < deadline) {
            client.receive(Duration.ofSeconds(2), expected - received.size(), m -> {
                if (m.signal().isEmpty()) {
                    received.add(m);
                }
            });
        }
        return received;
    }
}
