// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.wire.Response;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import org.svyaz.server.SvyazServer;

/**
 * Clients reach the server through a relay: they add its link, race it against the direct routes,
 * and name a relay that refuses their secret. What the relay itself shows to anyone without the
 * secret, and how it splices a tunnel, is tested in module relay (RelayServerIT).
 */
class RelayIT {
    @TempDir
    Path temp;

    @Test
    void whenTheServerIsBlockedMessagesFlowThroughTheRelay() throws Exception {
        // The server is reachable only through this proxy, which the test then "blocks".
        try (AckDroppingProxy directRoute = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(directRoute.port()).build())));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            directRoute.forwardTo(server.address());
            RelayLink relayLink = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            Path aliceDir;
            Path bobDir;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.11", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.12", Clock.systemUTC())) {
                alice.addRelay(RelayLink.parse(relayLink.toString()));
                bob.addRelay(relayLink);
                assertThat(alice.relays()).containsExactly(relayLink);
                bob.resolve("alice.11");
                alice.resolve("bob.12");
                aliceDir = temp.resolve("a").resolve(alice.username());
                bobDir = temp.resolve("b").resolve(bob.username());
            }

            directRoute.close(); // the censor blocks the server's address
            try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC());
                 SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                ConnectionStatus status = alice.status();
                assertThat(status.route()).isEqualTo("relay 127.0.0.1:" + relay.address().getPort());
                assertThat(status.failedRoutes()).singleElement().asString().contains("Connection refused");
                alice.send("bob.12", "through the relay");
                assertThat(receiveUntil(bob, body("through the relay"))).last()
                        .satisfies(m -> assertThat(m.source()).isEqualTo("alice.11"));
                assertThat(relay.tunnelsOpened()).isPositive();
            }
        }
    }

    @Test
    void aWrongSecretIsReportedPromptlyAndForeignRelaysAreRefused() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazServer other = TestServer.start(temp.resolve("other"));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            RelayLink good = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            RelayLink wrongSecret = new RelayLink(good.descriptor().toBuilder()
                    .setSecret(ByteString.copyFrom(new byte[RelayLink.SECRET_BYTES])).build());
            // Only the relay route exists: the link's own endpoint is a closed port.
            var unreachable = new org.svyaz.protocol.InviteLink(server.inviteLink().signed(),
                    server.inviteLink().descriptor().toBuilder().clearEndpoints()
                            .addEndpoints(Endpoint.newBuilder().setHost("127.0.0.1").setPort(closedPort())).build(),
                    Optional.empty());

            assertThatThrownBy(() -> ServerConnection.connect(unreachable, List.of(wrongSecret), Optional.empty(), Optional.empty(),
                    push -> Response.getDefaultInstance(), Duration.ofSeconds(10)))
                    .isInstanceOf(ConnectionException.class)
                    .hasMessageContaining("did not accept the secret");
            try (ServerConnection viaRelay = ServerConnection.connect(unreachable, List.of(good), Optional.empty(), Optional.empty(),
                    push -> Response.getDefaultInstance(), Duration.ofSeconds(10))) {
                assertThat(viaRelay.isOpen()).isTrue();
            }

            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), other.inviteLink(), "alice.13",
                    Clock.systemUTC())) {
                assertThatThrownBy(() -> alice.addRelay(good)).isInstanceOf(UserInputException.class)
                        .hasMessageContaining("another server");
            }
            for (String garbage : List.of("", "svyaz://relay/", "svyaz://relay/!!!", "https://relay.example",
                    good.toString().substring(0, good.toString().length() - 6))) {
                assertThatThrownBy(() -> RelayLink.parse(garbage)).isInstanceOf(InvalidInviteLinkException.class);
            }
        }
    }

    /**
     * A blocked address that swallows packets (the TCP handshake completes, then silence, as when a
     * censor drops the ClientHello) must not hold the client for a whole connect timeout: routes are
     * raced, so the relay wins while the direct attempt is still waiting.
     */
    @Test
    // A hang guard on its own thread, so a connect that never returns fails the test instead of the build.
    @org.junit.jupiter.api.Timeout(value = 60, unit = java.util.concurrent.TimeUnit.SECONDS,
            threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aRelayWinsTheRaceAgainstADirectRouteThatHangs() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)));
             java.net.ServerSocket blackhole = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> swallowed = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread.ofVirtual().start(() -> {
                while (!blackhole.isClosed()) {
                    try {
                        swallowed.add(blackhole.accept()); // accept, then never answer
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            RelayLink good = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            var hanging = new org.svyaz.protocol.InviteLink(server.inviteLink().signed(),
                    server.inviteLink().descriptor().toBuilder().clearEndpoints()
                            .addEndpoints(Endpoint.newBuilder().setHost("127.0.0.1").setPort(blackhole.getLocalPort())).build(),
                    Optional.empty());
            // A connect timeout far beyond the test's own limit: only racing can finish in time.
            try (ServerConnection connection = ServerConnection.connect(hanging, List.of(good), Optional.empty(), Optional.empty(),
                    push -> Response.getDefaultInstance(), Duration.ofMinutes(10))) {
                assertThat(connection.isOpen()).isTrue();
            }
            assertThat(swallowed).as("the direct route was tried").isNotEmpty();
            for (java.net.Socket socket : swallowed) {
                socket.close();
            }
        }
    }

    /** A user who must not be seen reaching the server uses relays only, even while direct routes work. */
    @Test
    void relaysOnlyKeepsTheClientOffTheServersOwnAddresses() throws Exception {
        try (AckDroppingProxy directRoute = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                     .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(directRoute.port()).build())));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            directRoute.forwardTo(server.address());
            RelayLink relayLink = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.21", Clock.systemUTC())) {
                assertThat(alice.status().route()).startsWith("direct ");
                assertThatThrownBy(() -> alice.setRelaysOnly(true)).isInstanceOf(UserInputException.class)
                        .hasMessageContaining("addRelay");

                alice.addRelay(relayLink);
                alice.setRelaysOnly(true);
                assertThat(alice.relaysOnly()).isTrue();
                int directConnections = directRoute.connectionsAccepted();
                assertThat(alice.status().route()).isEqualTo("relay 127.0.0.1:" + relay.address().getPort());
                assertThat(alice.serverKeyCounts()).isNotNull();
                assertThat(directRoute.connectionsAccepted()).as("no attempt on the direct route").isEqualTo(directConnections);

                alice.setRelaysOnly(false);
                assertThat(alice.relaysOnly()).isFalse();
            }
        }
    }

    private static int closedPort() throws Exception {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
