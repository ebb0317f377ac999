// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.SvyazServer;

/**
 * Issue #16, point 4: flows that freeze after 16 KB, as flows to foreign hosting in Russia do since
 * 2025. The first flow that freezes teaches the client the limit; from then on its connections
 * move to a fresh flow well before it, so messages never wait for a frozen flow to be noticed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FrozenFlowsIT {
    private static final int LIMIT = 16 * 1024;
    private static final int MESSAGES = 30;

    @TempDir
    Path temp;

    @Test
    void onceAFlowFrozeConnectionsMoveOnBeforeTheLimitAndEveryMessageArrivesOnce() throws Exception {
        try (AckDroppingProxy censor = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withAdvertised(
                     List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(censor.port()).build())))) {
            censor.forwardTo(server.address());
            Path aliceDir;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.71",
                    Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.72",
                         Clock.systemUTC())) {
                aliceDir = temp.resolve("a").resolve(alice.username());
                bob.resolve("alice.71");
                alice.resolve("bob.72");
            }
            List<String> first;
            try (SvyazClient bob = SvyazClient.open(temp.resolve("b").resolve("bob.72"), Clock.systemUTC())) {
                first = sendMany(bob, "first");
            }
            censor.freezeEachConnectionAfter(LIMIT);

            // A mailbox of about 60 KB through flows that freeze after 16 KB: the first flow
            // freezes and is noticed; that one teaches the limit.
            try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC())) {
                assertThat(bodies(receiveAll(alice))).containsExactlyElementsOf(first);
                ConnectionStatus learned = alice.status();
                assertThat(learned.flowsFrozen()).as("the flow that taught the limit").isPositive();
                assertThat(learned.flowLimitBytes()).isBetween((long) LIMIT / 2, (long) LIMIT * 2);
            }

            // Another 60 KB, on a client that knows the limit (it is kept per network). Bob, who
            // sends them, is not behind the censor.
            censor.freezeEachConnectionAfter(0);
            try (SvyazClient bob = SvyazClient.open(temp.resolve("b").resolve("bob.72"), Clock.systemUTC())) {
                List<String> second = sendMany(bob, "second");
                censor.freezeEachConnectionAfter(LIMIT);
                try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC())) {
                    assertThat(bodies(receiveAll(alice))).containsExactlyElementsOf(second);
                    ConnectionStatus status = alice.status();
                    assertThat(status.flowsFrozen()).as("no message waited for a frozen flow").isZero();
                    assertThat(status.flowsRotated()).as("fresh flows before the limit").isGreaterThan(2);
                }
            }
        }
    }

    /** {@value #MESSAGES} messages of about 2 KB each, in order. */
    private static List<String> sendMany(SvyazClient bob, String batch) throws Exception {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            String body = batch + " " + i + " " + "z".repeat(2000);
            bob.send("alice.71", body);
            sent.add(body);
        }
        return sent;
    }

    private static List<ReceivedMessage> receiveAll(SvyazClient alice) throws Exception {
        List<ReceivedMessage> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (received.size() < MESSAGES && System.nanoTime() < deadline) {
            alice.receive(Duration.ofSeconds(10), MESSAGES - received.size(), received::add);
        }
        return received;
    }

    private static List<String> bodies(List<ReceivedMessage> messages) {
        return messages.stream().map(ReceivedMessage::body).flatMap(Optional::stream).toList();
    }
}
