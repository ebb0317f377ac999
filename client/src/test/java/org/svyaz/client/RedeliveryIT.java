// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.SvyazServer;

/**
 * At-least-once delivery with exactly-once display: a message whose acknowledgement never reached
 * the server is pushed again on the next connection, and the user still sees it once.
 */
class RedeliveryIT {
    @TempDir
    Path temp;

    @Test
    void messageStoredButNotAcknowledgedIsRedeliveredAndShownOnce() throws Exception {
        try (AckDroppingProxy proxy = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdmin(Optional.of(new InetSocketAddress("127.0.0.1", 0)))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(proxy.port()).build())))) {
            proxy.forwardTo(server.address());
            Path bobDir;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.71", Clock.systemUTC())) {
                try (SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.72", Clock.systemUTC())) {
                    bobDir = temp.resolve("bob").resolve(bob.username());
                    bob.resolve("alice.71"); // a known contact: showing her message needs no lookup
                    // A first message, received normally: the delivery receipt Bob's receive sends for
                    // it leaves him a sender certificate, so the receipt for the message under test
                    // goes sealed, on its own connection, instead of waiting on the one losing acks.
                    alice.send("bob.72", "warming up");
                    TestAccounts.receiveUntil(bob, TestAccounts.body("warming up"));
                }
                TestAccounts.receiveUntil(alice, m -> m.signal().isPresent()); // that receipt
                // Bob is offline (his client is closed) while Alice sends, so the message waits on the server.
                alice.send("bob.72", "exactly once, please");
            }

            List<ReceivedMessage> shown = new ArrayList<>();
            proxy.dropAcksOfNextConnection();
            try (SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                bob.receive(Duration.ofSeconds(2), 10, shown::add);
            } // Bob's process "dies" here: his ack never reached the server.
            assertThat(shown).extracting(m -> m.body().orElseThrow()).containsExactly("exactly once, please");
            assertThat(delivered(server)).as("only the warm-up and its receipt were acknowledged").isEqualTo(2);

            try (SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                bob.receive(Duration.ofSeconds(2), 10, shown::add);
                // The server pushed it again and this time got the ack; Bob did not see it twice.
                await().atMost(Duration.ofSeconds(10)).until(() -> delivered(server) == 3);
            }
            assertThat(shown).hasSize(1);
        }
    }

    private static long delivered(SvyazServer server) throws Exception {
        InetSocketAddress admin = server.adminAddress().orElseThrow();
        String metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = Pattern.compile("(?m)^svyaz_messages_delivered_total\\s+([0-9.]+)").matcher(metrics);
        assertThat(matcher.find()).as(metrics).isTrue();
        return (long) Double.parseDouble(matcher.group(1));
    }
}
