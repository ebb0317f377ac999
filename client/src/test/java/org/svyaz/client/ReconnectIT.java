// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.SvyazServer;

/** A receive that loses its connection reconnects on its own and still gets what was sent meanwhile. */
class ReconnectIT {
    @TempDir
    Path temp;

    @Test
    void receivingSurvivesAResetConnection() throws Exception {
        try (AckDroppingProxy route = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(route.port()).build())));
             ) {
            route.forwardTo(server.address());
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.61", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.62", Clock.systemUTC())) {
                bob.resolve("alice.61");
                bob.status(); // connected
                List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
                CompletableFuture<Integer> receiving = CompletableFuture.supplyAsync(() -> {
                    try {
                        return bob.receive(Duration.ofSeconds(60), 1, received::add);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                route.dropConnections(); // every open connection is reset
                alice.send("bob.62", "after the reset");
                assertThat(receiving.get(60, TimeUnit.SECONDS)).isEqualTo(1);
                assertThat(received).extracting(m -> m.body().orElseThrow()).containsExactly("after the reset");
            }
        }
    }

    /**
     * A censor freezes the flow (no reset, no bytes): the client's pings go unanswered, it drops
     * the connection and comes back on a new one, and the message sent meanwhile arrives.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void receivingNoticesAFrozenFlowAndMovesToANewOne() throws Exception {
        try (AckDroppingProxy route = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(route.port()).build())))) {
            route.forwardTo(server.address());
            Path aliceDir;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.71", Clock.systemUTC())) {
                aliceDir = temp.resolve("a").resolve(alice.username());
            }
            try (SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.72", Clock.systemUTC())) {
                bob.status(); // connected
                List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
                CompletableFuture<Integer> receiving = CompletableFuture.supplyAsync(() -> {
                    try {
                        return bob.receive(Duration.ofSeconds(60), 1, received::add);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                route.freezeConnections();
                try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC())) {
                    alice.send("bob.72", "after the freeze");
                }
                assertThat(receiving.get(60, TimeUnit.SECONDS)).isEqualTo(1);
                assertThat(received).extracting(m -> m.body().orElseThrow()).containsExactly("after the freeze");
            }
        }
    }

    /**
     * A long transfer through flows a censor freezes after 16 KB (as with a connbytes rule): a
     * 36 KB mailbox cannot cross one flow, so the client must notice each frozen flow and move to
     * a new one; every message is shown once, in order.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void longDrainRotatesFlowsFrozenAfter16Kilobytes() throws Exception {
        try (AckDroppingProxy route = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(route.port()).build())))) {
            route.forwardTo(server.address());
            List<String> bodies = new java.util.ArrayList<>();
            Path bobDir;
            try (SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.82", Clock.systemUTC())) {
                bobDir = temp.resolve("b").resolve(bob.username());
            }
            // Bob is offline while Alice writes, so everything waits in his mailbox.
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.81", Clock.systemUTC())) {
                java.util.Random random = new java.util.Random(7);
                for (int i = 0; i < 6; i++) {
                    StringBuilder text = new StringBuilder("part " + i + " ");
                    while (text.length() < 6000) {
                        text.append((char) ('a' + random.nextInt(26)));
                    }
                    bodies.add(text.toString());
                    alice.send("bob.82", text.toString());
                }
            }
            route.freezeEachConnectionAfter(16 * 1024);
            try (SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
                bob.receive(Duration.ofSeconds(30), bodies.size(), received::add);
                assertThat(received).extracting(m -> m.body().orElseThrow()).containsExactlyElementsOf(bodies);
            }
        }
    }
}
