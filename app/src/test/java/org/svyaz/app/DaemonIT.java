// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two daemons, one per user, driven only over their UNIX sockets, as bots drive signal-cli. */
class DaemonIT {
    @TempDir
    Path temp;

    private final List<Process> daemons = new ArrayList<>();

    @AfterEach
    void stopDaemons() throws Exception {
        for (Process daemon : daemons) {
            daemon.destroy();
            daemon.waitFor();
        }
    }

    /** Registers {@code username} through the CLI and starts a daemon for it on a socket in the temp folder. */
    private Path daemonFor(String link, String username) throws Exception {
        Path dataDir = temp.resolve(username);
        Cli.Result registered = Cli.run("-d", dataDir.toString(), "register", "--server", link, "--username", username);
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Path socket = temp.resolve("sockets").resolve(username + ".sock");
        Process daemon = Cli.start(temp.resolve("logs"), "daemon-" + username,
                "-d", dataDir.toString(), "-a", username, "daemon", "--socket", socket.toString());
        daemons.add(daemon);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the daemon exited with " + daemon.exitValue());
            }
            return Files.exists(socket);
        });
        return socket;
    }

    /** The next notification that carries a text, skipping receipts and typing. */
    private static JsonNode nextText(RpcClient bot) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = bot.nextNotification(Duration.ofSeconds(1));
            if (notification != null && notification.path("params").path("envelope").path("dataMessage")
                    .hasNonNull("message")) {
                return notification;
            }
        }
        return null;
    }

    @Test
    void aBotSendsThroughOneDaemonAndTheOtherDaemonNotifiesItsBot() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            Path aliceSocket = daemonFor(link, "alice.11");
            Path bobSocket = daemonFor(link, "bob.22");
            try (RpcClient alice = RpcClient.unix(aliceSocket); RpcClient bob = RpcClient.unix(bobSocket)) {
                JsonNode sent = alice.result("send", RpcClient.params().put("message", "hello, bot")
                        .set("recipient", RpcClient.JSON.createArrayNode().add("bob.22")));
                long timestamp = sent.get("timestamp").asLong();
                assertThat(timestamp).isPositive();
                JsonNode result = sent.get("results").get(0);
                assertThat(result.get("type").asText()).isEqualTo("SUCCESS");
                assertThat(result.get("recipientAddress").get("username").asText()).isEqualTo("bob.22");

                JsonNode notification = nextText(bob);
                assertThat(notification).as("bob's bot heard nothing").isNotNull();
                assertThat(notification.get("method").asText()).isEqualTo("receive");
                JsonNode envelope = notification.get("params").get("envelope");
                assertThat(notification.get("params").get("account").asText()).isEqualTo("bob.22");
                assertThat(envelope.get("source").asText()).isEqualTo("alice.11");
                assertThat(envelope.get("timestamp").asLong()).isEqualTo(timestamp);
                assertThat(envelope.get("dataMessage").get("message").asText()).isEqualTo("hello, bot");

                // The sender is reachable at once: the reply comes back through the same daemons.
                bob.result("send", RpcClient.params().put("message", "hello, alice").put("recipient", "alice.11"));
                JsonNode reply = nextText(alice);
                assertThat(reply).isNotNull();
                assertThat(reply.get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("hello, alice");
            }
        }
    }
}
