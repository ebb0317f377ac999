// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.DohTestServer;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.identity.DescriptorSettings;

/**
 * The server's name does not resolve with the system's DNS (".invalid" never does), as when a
 * censor deletes it from the national DNS; the descriptor's DNS-over-HTTPS resolvers find it.
 */
class DohRouteIT {
    private static final String NAME = "chat.svyaz.invalid";

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void nameRemovedFromDnsIsFoundOverHttpsEvenWhenOneResolverLies() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = startAdvertisingOnlyTheName(data);
             // Nothing listens on 127.0.0.2, so the liar's address is refused.
             DohTestServer liar = DohTestServer.start(loopback(), temp.resolve("liar"),
                     Map.of(NAME, List.of(InetAddress.getByName("127.0.0.2"))));
             DohTestServer honest = DohTestServer.start(loopback(), temp.resolve("honest"),
                     Map.of(NAME, List.of(InetAddress.getByName("127.0.0.1"))))) {
            InviteLink link = republish(server, data, Set.of(liar.url(), honest.url()));

            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), link, "alice.61", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), link, "bob.62", Clock.systemUTC())) {
                ConnectionStatus status = alice.status();
                assertThat(status.route()).isEqualTo("direct 127.0.0.1:" + server.address().getPort()
                        + " (" + NAME + " from DNS over HTTPS)");
                assertThat(String.join("\n", status.failedRoutes())).contains(NAME + ":" + server.address().getPort());

                alice.send("bob.62", "found without the national DNS");
                assertThat(receiveUntil(bob, body("found without the national DNS"))).isNotEmpty();
            }
            assertThat(honest.queries()).isPositive();
            assertThat(liar.queries()).as("both resolvers are asked at once").isPositive();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void onlyALyingResolverMeansAClearFailureNotAHang() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = startAdvertisingOnlyTheName(data);
             DohTestServer liar = DohTestServer.start(loopback(), temp.resolve("liar"),
                     Map.of(NAME, List.of(InetAddress.getByName("127.0.0.2"))))) {
            InviteLink link = republish(server, data, Set.of(liar.url()));

            assertThatThrownBy(() -> ServerConnection.connect(link, List.of(), Optional.empty(), Optional.empty(),
                    push -> null, Duration.ofSeconds(10)))
                    .isInstanceOf(ConnectionException.class)
                    .hasMessageContaining("Cannot reach the server")
                    .satisfies(e -> assertThat(java.util.Arrays.stream(e.getSuppressed()).map(Throwable::getMessage))
                            .anyMatch(m -> m.contains("No address DNS over HTTPS gave for " + NAME)));
        }
    }

    /** A server whose descriptor names it only by {@link #NAME}, which the system cannot resolve. */
    private static SvyazServer startAdvertisingOnlyTheName(Path data) throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        return SvyazServer.start(ServerConfig.defaults(data, new InetSocketAddress("127.0.0.1", port))
                .withAdmin(Optional.empty())
                .withAdvertised(List.of(named(port))));
    }

    /** Adds the resolvers, as an operator would with 'svyaz server descriptor --add-doh'. */
    private static InviteLink republish(SvyazServer server, Path data, Set<String> resolvers) throws Exception {
        new DescriptorSettings(Set.of(), Set.of(), resolvers, Set.of(), Set.of()).save(data);
        InviteLink published = server.republishDescriptor();
        assertThat(published.descriptor().getDohResolversList()).containsExactlyInAnyOrderElementsOf(resolvers);
        return published;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    static Endpoint named(int port) {
        return Endpoint.newBuilder().setHost(NAME).setPort(port).build();
    }
}
