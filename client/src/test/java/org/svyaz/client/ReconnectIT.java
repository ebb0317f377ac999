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
}
