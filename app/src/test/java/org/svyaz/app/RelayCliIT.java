// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code svyaz relay} as a process: users whose invite link names only an unreachable address
 * register and talk through the relay link the relay printed.
 */
class RelayCliIT {
    @TempDir
    Path temp;

    @Test
    void usersRegisterAndTalkThroughARelayWhenTheServerAddressIsBlocked() throws Exception {
        int blocked = freePort();
        int relayPort = freePort();
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs"),
                "--advertise", "127.0.0.1:" + blocked).start()) {
            // The relay reaches the server at its real address; users only know the blocked one.
            String realLink = server.inviteLink();
            Process relay = Cli.start(temp.resolve("logs"), "relay", "relay", "--listen", "127.0.0.1:" + relayPort,
                    "--upstream", realLink, "--upstream-address", "127.0.0.1:" + server.port(),
                    "--data", temp.resolve("relay").toString(),
                    "--sni", "news.example.org");
            try {
                Path relayOut = temp.resolve("logs").resolve("relay.out");
                await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(relayOut)
                        && Files.readString(relayOut).startsWith("svyaz://relay/"));
                String relayLink = Files.readString(relayOut).strip();

                String alice = temp.resolve("alice").toString();
                String bob = temp.resolve("bob").toString();
                Cli.Result direct = Cli.run("-d", alice, "register", "--server", realLink, "--username", "alice.31");
                assertThat(direct.exitCode()).as("the server's advertised address is blocked").isEqualTo(3);

                assertThat(Cli.run("-d", alice, "register", "--server", realLink, "--relay", relayLink,
                        "--username", "alice.31").exitCode()).isZero();
                assertThat(Cli.run("-d", bob, "register", "--server", realLink, "--username", "bob.32").exitCode())
                        .isEqualTo(3);
                assertThat(Cli.run("-d", bob, "register", "--server", realLink, "--relay", relayLink,
                        "--username", "bob.32").exitCode()).isZero();

                Cli.Result status = Cli.run("-d", alice, "-o", "json", "status");
                assertThat(status.exitCode()).as(status.err()).isZero();
                assertThat(status.out()).contains("\"route\":\"relay 127.0.0.1:" + relayPort + "\"")
                        .contains("127.0.0.1:" + blocked);
                Cli.Result sent = Cli.run("-d", alice, "send", "-m", "via the relay", "bob.32");
                assertThat(sent.exitCode()).as(sent.err()).isZero();
                assertThat(Cli.run("-d", bob, "receive", "-t", "3").out()).contains("Body: via the relay");

                Cli.Result bad = Cli.run("-d", bob, "addRelay", "svyaz://relay/garbage");
                assertThat(bad.exitCode()).isEqualTo(1);
                assertThat(bad.err()).contains("relay link");
            } finally {
                relay.destroy();
                relay.waitFor();
            }

            // A restart keeps the secret, and does not print it again: it would land in every log.
            Process restarted = Cli.start(temp.resolve("logs"), "relay-again", "relay", "--listen",
                    "127.0.0.1:" + relayPort, "--upstream", realLink, "--upstream-address", "127.0.0.1:" + server.port(),
                    "--data", temp.resolve("relay").toString(), "--sni", "news.example.org", "--no-qr");
            try {
                Path err = temp.resolve("logs").resolve("relay-again.err");
                await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(err)
                        && Files.readString(err).contains("--show-link"));
                String secret = Files.readString(temp.resolve("relay").resolve("relay.secret")).strip();
                assertThat(Files.readString(err)).contains(temp.resolve("relay").resolve("relay.secret").toString())
                        .doesNotContain("svyaz://relay/").doesNotContain(secret);
                assertThat(Files.readString(temp.resolve("logs").resolve("relay-again.out"))).isEmpty();
            } finally {
                restarted.destroy();
                restarted.waitFor();
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
