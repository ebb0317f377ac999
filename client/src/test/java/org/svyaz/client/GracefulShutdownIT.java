// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/**
 * Shutting the server down while a client is sending: every send the server answered OK is
 * delivered after the restart; the others fail with a network error, never silently.
 */
class GracefulShutdownIT {
    @TempDir
    Path temp;

    @Test
    void everyAnsweredSendSurvivesAShutdownInTheMiddleOfSending() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        ServerConfig config = ServerConfig.defaults(temp.resolve("server"), new InetSocketAddress("127.0.0.1", port))
                .withAdmin(Optional.empty());
        List<String> answered = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        Path bobDir;
        SvyazServer server = SvyazServer.start(config);
        try (SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.95", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.96", Clock.systemUTC())) {
            bobDir = temp.resolve("bob").resolve(bob.username());
            CountDownLatch tenAnswered = new CountDownLatch(10);
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 200 && failed.isEmpty(); i++) {
                    String text = "message " + i;
                    try {
                        alice.send("bob.96", text);
                        answered.add(text);
                        tenAnswered.countDown();
                    } catch (NetworkException e) {
                        failed.add(text);
                    } catch (ClientException e) {
                        throw new AssertionError("only network errors are expected during shutdown", e);
                    }
                }
            });
            assertThat(tenAnswered.await(60, TimeUnit.SECONDS)).isTrue();
            server.close();
            sender.get(2, TimeUnit.MINUTES);
        } finally {
            server.close();
        }
        assertThat(failed).as("the shutdown interrupted the sending").isNotEmpty();

        try (SvyazServer restarted = SvyazServer.start(config);
             SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
            List<ReceivedMessage> received = new ArrayList<>();
            int before;
            do {
                before = received.size();
                bob.receive(Duration.ofSeconds(2), Integer.MAX_VALUE, received::add);
            } while (received.size() > before);
            List<String> texts = received.stream().map(m -> m.body().orElseThrow()).toList();
            // At least once for everything answered; the interrupted send may or may not have been stored.
            assertThat(texts).containsAll(answered);
            assertThat(texts).doesNotHaveDuplicates();
            List<String> attempted = new ArrayList<>(answered);
            attempted.addAll(failed);
            assertThat(attempted).containsAll(texts);
            assertThat(texts).isSortedAccordingTo((a, b) -> Integer.compare(number(a), number(b)));
        }
    }

    private static int number(String text) {
        return Integer.parseInt(text.substring("message ".length()));
    }
}
