// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.Routes;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Runs the steps of reaching the server for every address of the descriptor and every relay, and
 * names the step a censor breaks, in OONI's vocabulary (see {@link Verdicts} and {@link Failures}):
 * for each address the system's DNS and DNS over HTTPS, then TCP, the pinned TLS handshake with the
 * server's name, a random name and none (and the cover name), the WebSocket upgrade and a timed
 * transfer; for each relay TCP, its TLS, the token and the server's TLS inside, upgrade and transfer.
 * The results are then read along the client's own routes, and the first that works is recommended.
 *
 * <p>Every step has its own timeout, addresses, DNS sources, SNI modes and relays are all probed at
 * once, and every wait is cut to the probe's deadline, so the whole probe ends within {@link #TOTAL}.
 */
public final class Probe {
    public static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration TOTAL = Duration.ofSeconds(30);
    /** How much the timed transfer asks for. */
    public static final int TRANSFER_BYTES = 64 * 1024;
    /** How long the timed transfer may take; what arrived by then is the measurement. */
    public static final Duration TRANSFER_TIME = Duration.ofSeconds(4);
    /** No byte for this long ends the transfer as stalled (a connection frozen after some bytes). */
    public static final Duration STALL = Duration.ofSeconds(2);
    /** Below this rate a route is called throttled (a censor's shaper, not a slow network). */
    public static final long MIN_KBPS = 64;
    /**
     * A stalled download that carried at least this much met a flow that froze, not a dead one:
     * messages still get through there (the client moves to fresh flows), files in pieces.
     */
    public static final long MIN_FROZEN_BYTES = 4 * 1024;
    /** Steps end this long before {@link #TOTAL}, leaving time to put the report together and print it. */
    private static final Duration STEPS_MARGIN = Duration.ofSeconds(3);
    /** Results still missing this long before {@link #TOTAL} are reported as timed out. */
    private static final Duration COLLECT_MARGIN = Duration.ofSeconds(2);

    private final Duration stepTimeout;

    public Probe() {
        this(STEP_TIMEOUT);
    }

    Probe(Duration stepTimeout) {
        this.stepTimeout = stepTimeout;
    }

    /** Probes the server of {@code link} and the relays the link carries. */
    public ProbeReport run(InviteLink link) throws InterruptedException {
        return run(link, relaysOf(link));
    }

    /** The relays an invite link carries, then those an older server's descriptor named. */
    public static List<RelayLink> relaysOf(InviteLink link) {
        List<RelayLink> relays = new ArrayList<>(link.relays());
        link.descriptor().getRelaysList().stream().map(RelayLink::new)
                .filter(described -> relays.stream().noneMatch(described::sameRelay))
                .forEach(relays::add);
        return relays;
    }

    /** Probes the server of {@code link} and {@code relays}, the client's relays (see {@code SvyazClient.relays()}). */
    public ProbeReport run(InviteLink link, List<RelayLink> relays) throws InterruptedException {
        return run(link, relays, false);
    }

    /**
     * With {@code relaysOnly} (an account that reaches the server only through relays) only the
     * relays are probed: no DNS lookup of the server's name, no packet to its addresses, exactly
     * like the client in that mode.
     */
    public ProbeReport run(InviteLink link, List<RelayLink> relays, boolean relaysOnly) throws InterruptedException {
        long start = System.nanoTime();
        StepRunner steps = new StepRunner(stepTimeout, Deadline.after(TOTAL.minus(STEPS_MARGIN)));
        ServerDialer dialer = new ServerDialer(link);
        Attempts attempts = new Attempts(dialer, steps);
        EndpointProbe endpointProbe = new EndpointProbe(link, new DnsLookup(steps), attempts, SniMode.randomName());
        Endpoint server = link.descriptor().getEndpoints(0);

        Map<Endpoint, CompletableFuture<EndpointProbe.Result>> endpoints = new LinkedHashMap<>();
        Map<RelayLink, CompletableFuture<Attempt>> relayAttempts = new LinkedHashMap<>();
        // Not closed with try-with-resources: close() would wait for a step that ignores interrupts.
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (Endpoint endpoint : relaysOnly ? List.<Endpoint>of() : link.descriptor().getEndpointsList()) {
                endpoints.computeIfAbsent(endpoint, e -> CompletableFuture.supplyAsync(() -> endpointProbe.run(e), executor));
            }
            for (RelayLink relay : relays) {
                relayAttempts.computeIfAbsent(relay, r -> CompletableFuture.supplyAsync(
                        () -> attempts.relay(r, server.getHost(), server.getPort()), executor));
            }
            long collectBy = start + TOTAL.minus(COLLECT_MARGIN).toNanos();
            Map<Endpoint, EndpointProbe.Result> measured = new LinkedHashMap<>();
            endpoints.forEach((endpoint, running) -> measured.put(endpoint,
                    await(running, collectBy, () -> EndpointProbe.Result.timedOut(endpoint))));
            Map<RelayLink, Attempt> relaysMeasured = new LinkedHashMap<>();
            relayAttempts.forEach((relay, running) -> relaysMeasured.put(relay, await(running, collectBy, Attempt::timedOut)));

            List<Route> clientRoutes = Routes.of(link, relays).stream()
                    .filter(route -> !relaysOnly || route.relay().isPresent()).toList();
            List<RouteReport> routes = RouteReports.of(clientRoutes, measured, relaysMeasured);
            return new ProbeReport(measured.values().stream().map(EndpointProbe.Result::report).toList(), routes,
                    RouteReports.recommended(routes));
        } finally {
            executor.shutdownNow();
        }
    }

    private static <T> T await(CompletableFuture<T> running, long byNanos, Supplier<T> otherwise) {
        try {
            return running.get(Math.max(0, byNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return otherwise.get();
        } catch (ExecutionException e) {
            // Every network failure is a step result; anything else is a bug and should be seen as one.
            throw new IllegalStateException("the probe failed unexpectedly", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise.get();
        }
    }
}
