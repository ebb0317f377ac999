// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
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
import org.svyaz.client.net.CensoringProxy;
import org.svyaz.client.net.DohTestServer;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.identity.ServerIdentity;

/**
 * The probe names what breaks each route, with OONI's verdicts and failure strings. Everything runs
 * on loopback; the system resolver reads {@code src/test/resources/hosts} (see the pom), so a name
 * missing there is NXDOMAIN and {@code lied.svyaz.test} points where the server is not.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProbeIT {
    private static final Duration QUICK_STEPS = Duration.ofSeconds(2);

    @TempDir
    Path temp;

    @Test
    void eachKindOfBlockingGetsItsVerdict() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             BlackHole blackhole = new BlackHole()) {
            int closedPort = closedPort();
            int port = server.address().getPort();
            InviteLink link = resign(server, "server", d -> d
                    .addEndpoints(endpoint("127.0.0.1", port))
                    .addEndpoints(endpoint("localhost", port))
                    .addEndpoints(endpoint("127.0.0.1", closedPort))
                    .addEndpoints(endpoint("svyaz-nonexistent.invalid", port))
                    .addEndpoints(endpoint("127.0.0.1", blackhole.port())));

            ProbeReport report = new Probe(QUICK_STEPS).run(link);

            Map<String, EndpointReport> byEndpoint = byEndpoint(report);
            EndpointReport direct = byEndpoint.get("127.0.0.1:" + port);
            assertThat(direct.verdict()).as(direct.toString()).isEqualTo("ok");
            assertThat(step(direct.steps(), "transfer").transfer()).hasValueSatisfying(t -> {
                assertThat(t.complete()).isTrue();
                assertThat(t.receivedBytes()).isGreaterThanOrEqualTo(Probe.TRANSFER_BYTES);
                assertThat(t.kilobitsPerSecond()).isGreaterThanOrEqualTo(Probe.MIN_KBPS);
                assertThat(t.stalled()).isFalse();
            });
            assertThat(byEndpoint.get("localhost:" + port).verdict()).isEqualTo("ok");
            assertThat(byEndpoint.get("localhost:" + port).steps()).extracting(StepResult::step)
                    .contains("dns", "tcp_connect", "tls_handshake_sni", "tls_handshake_random_sni",
                            "tls_handshake_no_sni", "websocket_upgrade", "transfer");
            assertVerdict(byEndpoint.get("127.0.0.1:" + closedPort), "tcp_ip", "tcp_connect", "connection_refused");
            assertVerdict(byEndpoint.get("svyaz-nonexistent.invalid:" + port), "dns", "dns", "dns_nxdomain_error");
            assertVerdict(byEndpoint.get("127.0.0.1:" + blackhole.port()), "tls", "tls_handshake_no_sni",
                    "generic_timeout_error");

            Map<String, RouteReport> routes = byRoute(report);
            assertThat(routes.keySet()).as("the client's own routes, keyed as it remembers them").containsExactly(
                    "direct 127.0.0.1:" + port, "direct localhost:" + port, "direct 127.0.0.1:" + closedPort,
                    "direct svyaz-nonexistent.invalid:" + port, "direct 127.0.0.1:" + blackhole.port(),
                    "no_sni localhost:" + port, "no_sni svyaz-nonexistent.invalid:" + port);
            assertThat(routes.get("no_sni localhost:" + port).verdict()).isEqualTo("ok");
            assertThat(routes.get("direct svyaz-nonexistent.invalid:" + port).verdict()).isEqualTo("dns");
            assertThat(routes.get("direct 127.0.0.1:" + closedPort).verdict()).isEqualTo("tcp_ip");
            assertThat(report.recommendedRoute()).contains("direct 127.0.0.1:" + port);
        }
    }

    @Test
    void aNameMissingFromTheSystemsDnsIsFoundOverHttpsAndTheServerIsReachableThere() throws Exception {
        String name = "chat.svyaz.invalid";
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             DohTestServer doh = DohTestServer.start(loopback(), temp.resolve("doh"),
                     Map.of(name, List.of(InetAddress.getByName("127.0.0.1"))))) {
            int port = server.address().getPort();
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint(name, port)).addDohResolvers(doh.url()));

            ProbeReport report = new Probe(QUICK_STEPS).run(link);

            EndpointReport endpoint = report.endpoints().getFirst();
            assertVerdict(endpoint, "dns", "dns", "dns_nxdomain_error");
            assertThat(endpoint.systemAddresses()).isEmpty();
            assertThat(endpoint.dohAddresses()).containsExactly("127.0.0.1");
            assertThat(step(endpoint.steps(), "dns_doh").ok()).isTrue();
            assertThat(step(endpoint.steps(), "websocket_upgrade").ok()).as("the server is reachable by address").isTrue();
            assertThat(step(endpoint.steps(), "transfer").ok()).isTrue();

            Map<String, RouteReport> routes = byRoute(report);
            assertThat(routes.get("direct " + name + ":" + port).verdict()).isEqualTo("dns");
            assertThat(routes.get("no_sni " + name + ":" + port).verdict()).isEqualTo("dns");
            assertThat(routes.get("doh " + name + ":" + port).verdict()).isEqualTo("ok");
            assertThat(report.recommendedRoute()).contains("doh " + name + ":" + port);
            assertThat(doh.queries()).isPositive();
        }
    }

    @Test
    void aSystemResolverThatLiesIsCaughtByDnsOverHttps() throws Exception {
        String name = "lied.svyaz.test"; // the hosts file says 127.0.0.2
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             SvyazServer impostor = start("impostor", "127.0.0.2", server.address().getPort());
             DohTestServer doh = DohTestServer.start(loopback(), temp.resolve("doh"),
                     Map.of(name, List.of(InetAddress.getByName("127.0.0.1"))))) {
            int port = server.address().getPort();
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint(name, port)).addDohResolvers(doh.url()));

            ProbeReport report = new Probe(QUICK_STEPS).run(link);

            EndpointReport endpoint = report.endpoints().getFirst();
            assertVerdict(endpoint, "dns", "dns_consistency", "dns_inconsistent");
            assertThat(endpoint.systemAddresses()).containsExactly("127.0.0.2");
            assertThat(endpoint.dohAddresses()).containsExactly("127.0.0.1");
            Map<String, RouteReport> routes = byRoute(report);
            assertThat(routes.get("direct " + name + ":" + port).firstFailure())
                    .hasValueSatisfying(s -> assertThat(s.failure()).contains("dns_inconsistent"));
            assertThat(routes.get("doh " + name + ":" + port).verdict()).isEqualTo("ok");
            assertThat(report.recommendedRoute()).contains("doh " + name + ":" + port);
        }
    }

    @Test
    void sniFilteringIsToldApartFromBlockingAndTheRouteWithoutSniIsRecommended() throws Exception {
        String name = "chat.svyaz.test";
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             CensoringProxy dpi = new CensoringProxy(server.address(), new CensoringProxy.ResetSni(name))) {
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint(name, dpi.port()))
                    .addCoverNames("www.example.com"));

            ProbeReport report = new Probe(QUICK_STEPS).run(link);

            EndpointReport endpoint = report.endpoints().getFirst();
            assertVerdict(endpoint, "tls", "tls_handshake_sni", "connection_reset");
            assertThat(endpoint.sniFiltered()).isTrue();
            for (String passing : List.of("tls_handshake_random_sni", "tls_handshake_no_sni", "tls_handshake_cover_sni",
                    "websocket_upgrade", "transfer")) {
                assertThat(step(endpoint.steps(), passing).ok()).as(passing + " in " + endpoint).isTrue();
            }
            Map<String, RouteReport> routes = byRoute(report);
            assertThat(routes.get("direct " + name + ":" + dpi.port()).verdict()).isEqualTo("tls");
            assertThat(routes.get("cover_sni " + name + ":" + dpi.port()).verdict()).isEqualTo("ok");
            assertThat(report.recommendedRoute()).contains("no_sni " + name + ":" + dpi.port());
        }
    }

    @Test
    void aConnectionFrozenAfter16KbAndOneShapedTo16KbitPerSecondAreThrottling() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             CensoringProxy frozen = new CensoringProxy(server.address(), new CensoringProxy.FreezeAfter(16 * 1024));
             CensoringProxy shaped = new CensoringProxy(server.address(), new CensoringProxy.Throttle(16_000 / 8))) {
            int port = server.address().getPort();
            // The shaped address is named, with a cover name: several handshakes at once share the 16 kbit/s.
            InviteLink link = resign(server, "server", d -> d
                    .addEndpoints(endpoint("127.0.0.1", frozen.port()))
                    .addEndpoints(endpoint("chat.svyaz.test", shaped.port()))
                    .addEndpoints(endpoint("127.0.0.1", port))
                    .addCoverNames("www.example.com"));

            ProbeReport report = new Probe().run(link);

            Map<String, EndpointReport> byEndpoint = byEndpoint(report);
            EndpointReport freeze = byEndpoint.get("127.0.0.1:" + frozen.port());
            assertVerdict(freeze, "throttling", "transfer", "flow_frozen");
            assertThat(step(freeze.steps(), "websocket_upgrade").ok()).isTrue();
            EndpointReport shaper = byEndpoint.get("chat.svyaz.test:" + shaped.port());
            assertThat(shaper.verdict()).as(shaper.toString()).isEqualTo("throttling");
            assertThat(step(shaper.steps(), "transfer").failure()).contains("transfer_too_slow");
            assertThat(step(shaper.steps(), "transfer").transfer()).hasValueSatisfying(t ->
                    assertThat(t.complete()).isFalse());
            assertThat(byEndpoint.get("127.0.0.1:" + port).verdict()).isEqualTo("ok");
            assertThat(report.recommendedRoute()).as("a throttled route is not recommended")
                    .contains("direct 127.0.0.1:" + port);
        }
    }

    /**
     * Issue #16, point 4: where every route freezes after 16 KB, messages still get through, so the
     * probe recommends such a route (and says what to expect) instead of "no route works".
     */
    @Test
    void whereEveryFlowFreezesAfter16KbTheProbeStillRecommendsARouteAndSaysHowItWorks() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             CensoringProxy frozen = new CensoringProxy(server.address(), new CensoringProxy.FreezeAfter(16 * 1024))) {
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint("127.0.0.1", frozen.port())));

            ProbeReport report = new Probe().run(link);

            assertThat(report.routes()).allSatisfy(route -> assertThat(route.works()).isFalse());
            assertThat(report.anyRouteWorks()).isTrue();
            assertThat(report.recommendedRoute()).contains("direct 127.0.0.1:" + frozen.port());
            RouteReport recommended = report.routes().stream()
                    .filter(r -> r.route().equals(report.recommendedRoute().get())).findFirst().orElseThrow();
            assertThat(recommended.worksSlowly()).isTrue();
            assertThat(recommended.advice()).contains("messages still get through");
        }
    }

    @Test
    void relaysAreProbedThroughToTheServerAndAWrongSecretIsNamed() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             RelayServer relay = relay("relay", server.address());
             RelayServer otherRelay = relay("other-relay", server.address())) {
            int closedPort = closedPort();
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint("127.0.0.1", closedPort)));
            byte[] identity = link.descriptor().getIdentityKey().toByteArray();
            RelayLink good = relay.link("127.0.0.1", relay.address().getPort(), identity);
            RelayLink wrongSecret = new RelayLink(otherRelay.link("127.0.0.1", otherRelay.address().getPort(), identity)
                    .descriptor().toBuilder().setSecret(ByteString.copyFrom(new byte[RelayLink.SECRET_BYTES])).build());

            ProbeReport report = new Probe(QUICK_STEPS).run(link, List.of(good, wrongSecret));

            Map<String, RouteReport> routes = byRoute(report);
            RouteReport works = routes.get("relay 127.0.0.1:" + relay.address().getPort());
            assertThat(works.verdict()).as(works.toString()).isEqualTo("ok");
            assertThat(works.steps()).extracting(StepResult::step).containsExactly("tcp_connect", "relay_tls_handshake",
                    "tls_handshake_no_sni", "websocket_upgrade", "transfer");
            assertThat(step(works.steps(), "transfer").transfer())
                    .hasValueSatisfying(t -> assertThat(t.complete()).isTrue());
            RouteReport refused = routes.get("relay 127.0.0.1:" + otherRelay.address().getPort());
            assertThat(refused.verdict()).isEqualTo("tls");
            assertThat(refused.firstFailure()).hasValueSatisfying(s -> {
                assertThat(s.step()).isEqualTo("tls_handshake_no_sni");
                assertThat(s.failure()).contains("relay_secret_refused");
                assertThat(s.detail()).contains("did not accept the secret");
            });
            assertThat(refused.advice()).contains("did not accept the secret");
            assertThat(routes.get("direct 127.0.0.1:" + closedPort).verdict()).isEqualTo("tcp_ip");
            assertThat(report.recommendedRoute()).contains("relay 127.0.0.1:" + relay.address().getPort());
            assertThat(relay.tunnelsOpened()).isPositive();
        }
    }

    /** In relays-only mode the server's own address is never contacted: only the relays are measured. */
    @Test
    void relaysOnlyProbesTheRelaysAndNothingElse() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             RelayServer relay = relay("relay", server.address());
             BlackHole watchedAddress = new BlackHole()) {
            InviteLink link = resign(server, "server", d -> d.addEndpoints(endpoint("127.0.0.1", watchedAddress.port()))
                    .addEndpoints(endpoint("chat.svyaz.test", watchedAddress.port())));
            RelayLink good = relay.link("127.0.0.1", relay.address().getPort(),
                    link.descriptor().getIdentityKey().toByteArray());

            ProbeReport report = new Probe(QUICK_STEPS).run(link, List.of(good), true);

            assertThat(report.endpoints()).isEmpty();
            assertThat(report.routes()).extracting(RouteReport::route)
                    .containsExactly("relay 127.0.0.1:" + relay.address().getPort());
            assertThat(report.recommendedRoute()).contains("relay 127.0.0.1:" + relay.address().getPort());
            assertThat(watchedAddress.swallowed()).as("connections to the server's own address").isZero();
        }
    }

    /**
     * Everything that can hang hangs here: an address, a name, a DoH resolver and a relay that
     * accept TCP and then say nothing, and a relay whose server does the same. With the real step
     * timeouts the probe still reports within its 30 s.
     */
    @Test
    void blackHolesEverywhereStillGiveAReportWithinTheTotal() throws Exception {
        try (SvyazServer server = start("server", "127.0.0.1", 0);
             BlackHole blackhole = new BlackHole();
             RelayServer relayToNowhere = relay("relay", new InetSocketAddress("127.0.0.1", blackhole.port()))) {
            String silentResolver = "https://127.0.0.1:" + blackhole.port() + "/dns-query#spki-sha256="
                    + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
            InviteLink link = resign(server, "server", d -> d
                    .addEndpoints(endpoint("127.0.0.1", blackhole.port()))
                    .addEndpoints(endpoint("chat.svyaz.test", blackhole.port()))
                    .addDohResolvers(silentResolver));
            byte[] identity = link.descriptor().getIdentityKey().toByteArray();
            RelayLink silentRelay = new RelayLink(relayToNowhere.link("127.0.0.1", blackhole.port(), identity).descriptor());
            RelayLink relayToSilence = relayToNowhere.link("127.0.0.1", relayToNowhere.address().getPort(), identity);

            long start = System.nanoTime();
            ProbeReport report = new Probe().run(link, List.of(silentRelay, relayToSilence));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).as("the probe's own bound").isLessThan(Probe.TOTAL);
            assertThat(report.anyRouteWorks()).isFalse();
            assertThat(report.recommendedRoute()).isEmpty();
            assertThat(report.routes()).isNotEmpty().allSatisfy(r -> assertThat(r.verdict()).isNotEqualTo("ok"));
            Map<String, EndpointReport> byEndpoint = byEndpoint(report);
            assertVerdict(byEndpoint.get("127.0.0.1:" + blackhole.port()), "tls", "tls_handshake_no_sni",
                    "generic_timeout_error");
            assertVerdict(byEndpoint.get("chat.svyaz.test:" + blackhole.port()), "tls", "tls_handshake_sni",
                    "generic_timeout_error");
            assertThat(step(byEndpoint.get("chat.svyaz.test:" + blackhole.port()).steps(), "dns_doh").failure())
                    .contains("generic_timeout_error");
            Map<String, RouteReport> routes = byRoute(report);
            assertThat(routes.get("relay 127.0.0.1:" + blackhole.port()).firstFailure()).hasValueSatisfying(s -> {
                assertThat(s.step()).isEqualTo("relay_tls_handshake");
                assertThat(s.failure()).contains("generic_timeout_error");
            });
            assertThat(routes.get("relay 127.0.0.1:" + relayToNowhere.address().getPort()).firstFailure())
                    .hasValueSatisfying(s -> {
                        assertThat(s.step()).isEqualTo("tls_handshake_no_sni");
                        assertThat(s.failure()).contains("generic_timeout_error");
                    });
            assertThat(blackhole.swallowed()).isPositive();
        }
    }

    @Test
    void aServerWithAnotherKeyIsAnUnknownAuthority() throws Exception {
        try (SvyazServer real = start("real", "127.0.0.1", 0);
             SvyazServer impostor = start("impostor", "127.0.0.1", 0)) {
            InviteLink pointingAtImpostor = resign(real, "real",
                    d -> d.addEndpoints(endpoint("127.0.0.1", impostor.address().getPort())));
            EndpointReport report = new Probe().run(pointingAtImpostor).endpoints().getFirst();
            assertVerdict(report, "tls", "tls_handshake_no_sni", "ssl_unknown_authority");
        }
    }

    private SvyazServer start(String name, String ip, int port) throws Exception {
        return SvyazServer.start(ServerConfig.defaults(temp.resolve(name), new InetSocketAddress(ip, port))
                .withAdmin(Optional.empty()));
    }

    private RelayServer relay(String name, InetSocketAddress upstream) throws Exception {
        return RelayServer.start(new RelayConfig(temp.resolve(name), new InetSocketAddress("127.0.0.1", 0), upstream,
                "kotiki-daily.example", Optional.empty(), 100, Duration.ofMinutes(2)));
    }

    /** The server's descriptor with its endpoints replaced as {@code edit} says, signed again with its key. */
    private InviteLink resign(SvyazServer server, String dataName, Function<ServerDescriptor.Builder,
            ServerDescriptor.Builder> edit) throws Exception {
        return InviteLink.sign(edit.apply(server.inviteLink().descriptor().toBuilder().clearEndpoints()).build(),
                ServerIdentity.loadOrCreate(temp.resolve(dataName)).identityKeyPair().getPrivate(), Optional.empty());
    }

    private static Map<String, EndpointReport> byEndpoint(ProbeReport report) {
        return report.endpoints().stream().collect(Collectors.toMap(EndpointReport::endpoint, Function.identity()));
    }

    private static Map<String, RouteReport> byRoute(ProbeReport report) {
        Map<String, RouteReport> routes = new java.util.LinkedHashMap<>();
        report.routes().forEach(r -> routes.put(r.route(), r));
        return routes;
    }

    private static StepResult step(List<StepResult> steps, String name) {
        return steps.stream().filter(s -> s.step().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + name + " in " + steps));
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

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** A port nothing listens on: connections are refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Completes the TCP handshake and then never says a word, like a censor that drops the ClientHello. */
    private static final class BlackHole implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> swallowed = new CopyOnWriteArrayList<>();

        BlackHole() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        swallowed.add(listener.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        int swallowed() {
            return swallowed.size();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : swallowed) {
                socket.close();
            }
        }
    }
}
