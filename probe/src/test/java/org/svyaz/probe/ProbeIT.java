// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.identity.ServerIdentity;

/** The probe names what breaks each route, with OONI's verdicts and failure strings. */
class ProbeIT {
    @TempDir
    Path temp;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void eachKindOfBlockingGetsItsVerdict() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = SvyazServer.start(ServerConfig.defaults(data, new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(Optional.empty()));
             ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int closedPort = closed.getLocalPort();
            closed.close(); // nothing listens there any more: connections are refused
            List<Socket> swallowed = new CopyOnWriteArrayList<>();
            Thread.ofVirtual().start(() -> {
                while (!blackhole.isClosed()) {
                    try {
                        swallowed.add(blackhole.accept()); // TCP completes, TLS never answers
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            int port = server.address().getPort();
            InviteLink link = InviteLink.sign(server.inviteLink().descriptor().toBuilder().clearEndpoints()
                            .addEndpoints(endpoint("127.0.0.1", port))
                            .addEndpoints(endpoint("localhost", port))
                            .addEndpoints(endpoint("127.0.0.1", closedPort))
                            .addEndpoints(endpoint("svyaz-nonexistent.invalid", port))
                            .addEndpoints(endpoint("127.0.0.1", blackhole.getLocalPort()))
                            .build(),
                    ServerIdentity.loadOrCreate(data).identityKeyPair().getPrivate(), Optional.empty());

            List<EndpointReport> reports = new Probe(java.time.Duration.ofSeconds(2)).run(link);

            Map<String, EndpointReport> byEndpoint = reports.stream()
                    .collect(Collectors.toMap(EndpointReport::endpoint, Function.identity()));
            assertThat(byEndpoint.get("127.0.0.1:" + port).verdict()).isEqualTo("ok");
            assertThat(byEndpoint.get("localhost:" + port).verdict()).isEqualTo("ok");
            assertVerdict(byEndpoint.get("127.0.0.1:" + closedPort), "tcp_ip", "tcp_connect", "connection_refused");
            assertVerdict(byEndpoint.get("svyaz-nonexistent.invalid:" + port), "dns", "dns", "dns_nxdomain_error");
            assertVerdict(byEndpoint.get("127.0.0.1:" + blackhole.getLocalPort()), "tls", "tls_handshake_no_sni",
                    "generic_timeout_error");
            for (Socket socket : swallowed) {
                socket.close();
            }
        }
    }

    @Test
    void aServerWithAnotherKeyIsAnUnknownAuthority() throws Exception {
        try (SvyazServer real = SvyazServer.start(ServerConfig.defaults(temp.resolve("real"),
                new InetSocketAddress("127.0.0.1", 0)).withAdmin(Optional.empty()));
             SvyazServer impostor = SvyazServer.start(ServerConfig.defaults(temp.resolve("impostor"),
                     new InetSocketAddress("127.0.0.1", 0)).withAdmin(Optional.empty()))) {
            InviteLink pointingAtImpostor = InviteLink.sign(real.inviteLink().descriptor().toBuilder().clearEndpoints()
                            .addEndpoints(endpoint("127.0.0.1", impostor.address().getPort())).build(),
                    ServerIdentity.loadOrCreate(temp.resolve("real")).identityKeyPair().getPrivate(), Optional.empty());
            EndpointReport report = new Probe().run(pointingAtImpostor).getFirst();
            assertVerdict(report, "tls", "tls_handshake_no_sni", "ssl_unknown_authority");
        }
    }

    private static void assertVerdict(EndpointReport report, String verdict, String step, String failure) {
        assertThat(report.verdict()).as(report.toString()).isEqualTo(verdict);
        assertThat(report.steps()).as(report.toString())
                .anySatisfy(s -> {
                    assertThat(s.step()).isEqualTo(step);
                    assertThat(s.failure()).contains(failure);
                });
    }

    private static Endpoint endpoint(String host, int port) {
        return Endpoint.newBuilder().setHost(host).setPort(port).build();
    }
}
