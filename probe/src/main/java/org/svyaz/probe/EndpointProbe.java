// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import io.netty.util.NetUtil;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Everything the probe measures about one address of the descriptor: the name through the system's
 * DNS and through DNS over HTTPS (both at once), then, for each set of addresses, every SNI mode
 * at once. From that it names the endpoint's verdict, and whether the system's DNS lied.
 */
final class EndpointProbe {
    private final InviteLink link;
    private final DnsLookup dns;
    private final Attempts attempts;
    private final String randomSni;

    EndpointProbe(InviteLink link, DnsLookup dns, Attempts attempts, String randomSni) {
        this.link = link;
        this.dns = dns;
        this.attempts = attempts;
        this.randomSni = randomSni;
    }

    /**
     * The measurements of one endpoint.
     *
     * @param system the system resolver's answer (a literal address answers itself)
     * @param doh DNS over HTTPS, for a name when the descriptor lists resolvers
     * @param consistency a failed {@code dns_consistency} step when the system's DNS lied
     * @param bySystem the attempts on the system's addresses, by SNI mode
     * @param byDoh the attempts on the DNS-over-HTTPS addresses (the same as {@code bySystem} when both agree)
     */
    record Result(Endpoint endpoint, EndpointReport report, DnsAnswer system, Optional<DnsAnswer> doh,
                  Optional<StepResult> consistency, Map<SniMode, Attempt> bySystem, Map<SniMode, Attempt> byDoh) {
        /** Stands in for an endpoint the probe could not finish in time. */
        static Result timedOut(Endpoint endpoint) {
            Attempt nothing = Attempt.timedOut();
            DnsAnswer unanswered = new DnsAnswer(nothing.steps().getFirst(), List.of());
            return new Result(endpoint, new EndpointReport(name(endpoint), nothing.steps(), nothing.verdict(), false,
                    Verdicts.advice(nothing.verdict(), Optional.of(Failures.TIMEOUT)), List.of(), List.of()),
                    unanswered, Optional.empty(), Optional.empty(), Map.of(), Map.of());
        }
    }

    Result run(Endpoint endpoint) {
        String host = endpoint.getHost();
        boolean named = isName(host);
        List<String> resolvers = link.descriptor().getDohResolversList();

        List<SniMode> modes = modes(named);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        DnsAnswer system;
        Optional<DnsAnswer> doh;
        Map<SniMode, Attempt> bySystem;
        Map<SniMode, Attempt> byDoh;
        try {
            // The system's addresses are measured as soon as it answers, without waiting for DNS over HTTPS.
            CompletableFuture<DnsAnswer> systemLookup = named
                    ? CompletableFuture.supplyAsync(() -> dns.system(host), executor)
                    : CompletableFuture.completedFuture(DnsLookup.literal(host));
            CompletableFuture<Map<SniMode, Attempt>> systemAttempts = systemLookup.thenApplyAsync(answer ->
                    answer.ok() ? attemptAll(answer.addresses(), endpoint, modes) : Map.of(), executor);
            doh = named && !resolvers.isEmpty() ? Optional.of(dns.doh(resolvers, host)) : Optional.empty();
            system = systemLookup.join(); // a bounded step
            // When both sources agree, the measurements are the same ones.
            boolean agree = doh.filter(DnsAnswer::ok).isPresent()
                    && new HashSet<>(doh.get().addresses()).equals(new HashSet<>(system.addresses()));
            CompletableFuture<Map<SniMode, Attempt>> dohAttempts = agree ? systemAttempts
                    : doh.filter(DnsAnswer::ok).map(answer -> CompletableFuture.supplyAsync(
                            () -> attemptAll(answer.addresses(), endpoint, modes), executor))
                    .orElse(CompletableFuture.completedFuture(Map.of()));
            bySystem = systemAttempts.join(); // bounded steps only
            byDoh = dohAttempts.join();
        } finally {
            executor.shutdownNow();
        }

        Optional<StepResult> consistency = named ? consistency(system, doh, bySystem, byDoh) : Optional.empty();
        return new Result(endpoint, report(endpoint, named, modes, system, doh, consistency, bySystem, byDoh), system,
                doh, consistency, bySystem, byDoh);
    }

    /** The SNI modes worth measuring: a bare address is reached without SNI only, as the client does. */
    private List<SniMode> modes(boolean named) {
        if (!named) {
            return List.of(SniMode.NONE);
        }
        List<SniMode> modes = new ArrayList<>(List.of(SniMode.REAL, SniMode.RANDOM, SniMode.NONE));
        if (link.descriptor().getCoverNamesCount() > 0) {
            modes.add(SniMode.COVER);
        }
        return modes;
    }

    /**
     * Every mode at once, except the random name: it only tells SNI filtering from blocking, so it
     * is tried when the real name failed after TCP worked. One handshake fewer matters when a shaper
     * squeezes all flows to the server's address into a few kilobits per second.
     */
    private Map<SniMode, Attempt> attemptAll(List<InetAddress> addresses, Endpoint endpoint, List<SniMode> modes) {
        Map<SniMode, CompletableFuture<Attempt>> running = new EnumMap<>(SniMode.class);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (SniMode mode : modes) {
                if (mode != SniMode.RANDOM) {
                    running.put(mode, CompletableFuture.supplyAsync(() -> attempt(addresses, endpoint, mode), executor));
                }
            }
            if (modes.contains(SniMode.RANDOM)) {
                running.put(SniMode.RANDOM, running.get(SniMode.REAL).thenApplyAsync(real ->
                        real.tlsPassed() || !real.step("tcp_connect").map(StepResult::ok).orElse(false) ? null
                                : attempt(addresses, endpoint, SniMode.RANDOM), executor));
            }
            Map<SniMode, Attempt> done = new EnumMap<>(SniMode.class);
            running.forEach((mode, attempt) -> {
                Attempt measured = attempt.join(); // bounded steps only
                if (measured != null) {
                    done.put(mode, measured);
                }
            });
            return done;
        } finally {
            executor.shutdownNow();
        }
    }

    private Attempt attempt(List<InetAddress> addresses, Endpoint endpoint, SniMode mode) {
        // The random name is only a comparison: its handshake is enough.
        return attempts.direct(addresses, endpoint.getPort(), endpoint.getHost(), mode, sni(mode, endpoint),
                mode != SniMode.RANDOM);
    }

    private Optional<String> sni(SniMode mode, Endpoint endpoint) {
        return switch (mode) {
            case REAL -> Optional.of(endpoint.getHost());
            case RANDOM -> Optional.of(randomSni);
            case NONE -> Optional.empty();
            case COVER -> Optional.of(link.descriptor().getCoverNames(0));
        };
    }

    /**
     * The system's DNS lied when it answered, none of its addresses completes the pinned handshake
     * in any SNI mode, and an address from DNS over HTTPS that it did not give does.
     */
    private static Optional<StepResult> consistency(DnsAnswer system, Optional<DnsAnswer> doh,
                                                    Map<SniMode, Attempt> bySystem, Map<SniMode, Attempt> byDoh) {
        if (!system.ok() || doh.isEmpty() || bySystem.values().stream().anyMatch(Attempt::tlsPassed)) {
            return Optional.empty();
        }
        Optional<InetAddress> genuine = byDoh.values().stream().filter(Attempt::tlsPassed)
                .flatMap(a -> a.address().stream()).filter(a -> !system.addresses().contains(a)).findFirst();
        if (genuine.isEmpty()) {
            return Optional.empty();
        }
        String failure = Failures.allBogons(system.addresses()) && !Failures.bogon(genuine.get())
                ? Failures.DNS_BOGON : Failures.DNS_INCONSISTENT;
        return Optional.of(StepResult.failed("dns_consistency", failure, 0, "the system's DNS answered "
                + String.join(", ", system.literals()) + ", where the server's key is not; DNS over HTTPS answered "
                + String.join(", ", doh.get().literals()) + ", and " + genuine.get().getHostAddress() + " has it"));
    }

    /**
     * The endpoint in one line of steps: DNS from both sources, then the measurements on the
     * addresses the client would end up using (the system's, or DNS over HTTPS's when the system's
     * failed or lied), with every SNI mode's handshake side by side.
     */
    private static EndpointReport report(Endpoint endpoint, boolean named, List<SniMode> modes, DnsAnswer system,
                                         Optional<DnsAnswer> doh, Optional<StepResult> consistency,
                                         Map<SniMode, Attempt> bySystem, Map<SniMode, Attempt> byDoh) {
        List<StepResult> steps = new ArrayList<>();
        steps.add(system.step());
        doh.ifPresent(answer -> steps.add(answer.step()));
        consistency.ifPresent(steps::add);
        boolean systemFailed = !system.ok() || consistency.isPresent();
        Map<SniMode, Attempt> used = systemFailed && !byDoh.isEmpty() ? byDoh : bySystem;

        Optional<Attempt> primary = primary(used, named);
        primary.flatMap(a -> a.step("tcp_connect")).ifPresent(steps::add);
        for (SniMode mode : used.isEmpty() ? List.<SniMode>of() : modes) {
            Attempt attempt = used.get(mode);
            steps.add(attempt != null ? attempt.step(mode.step).orElse(StepResult.skipped(mode.step))
                    : StepResult.skipped(mode.step, "not needed: the server's own name got through, or TCP did not"));
        }
        primary.flatMap(a -> a.step("websocket_upgrade")).ifPresent(steps::add);
        primary.flatMap(a -> a.step("transfer")).ifPresent(steps::add);

        boolean sniFiltered = named && Optional.ofNullable(used.get(SniMode.REAL))
                .filter(real -> !real.tlsPassed() && real.step("tcp_connect").map(StepResult::ok).orElse(false))
                .isPresent()
                // Any other name (or none) getting through shows that the server's own name is what is filtered.
                && (passed(used, SniMode.RANDOM) || passed(used, SniMode.NONE) || passed(used, SniMode.COVER));
        String verdict;
        Optional<String> failure;
        if (systemFailed) {
            verdict = Verdicts.DNS;
            failure = consistency.flatMap(StepResult::failure).or(() -> system.step().failure());
        } else if (sniFiltered) {
            verdict = Verdicts.TLS;
            failure = used.get(SniMode.REAL).step(SniMode.REAL.step).flatMap(StepResult::failure);
        } else {
            verdict = primary.map(Attempt::verdict).orElse(Verdicts.TCP_IP);
            failure = primary.flatMap(a -> Verdicts.firstFailure(a.steps())).flatMap(StepResult::failure);
        }
        return new EndpointReport(name(endpoint), List.copyOf(steps), verdict, sniFiltered,
                advice(verdict, failure, sniFiltered, !byDoh.isEmpty() && byDoh.values().stream().anyMatch(Attempt::ok)),
                system.literals(), doh.map(DnsAnswer::literals).orElse(List.of()));
    }

    /** The attempt the client's own order would carry on with: the real name, then none, then the cover name. */
    private static Optional<Attempt> primary(Map<SniMode, Attempt> used, boolean named) {
        List<SniMode> order = named ? List.of(SniMode.REAL, SniMode.NONE, SniMode.COVER) : List.of(SniMode.NONE);
        return order.stream().map(used::get).filter(a -> a != null && a.tlsPassed()).findFirst()
                .or(() -> Optional.ofNullable(used.get(order.getFirst())));
    }

    private static boolean passed(Map<SniMode, Attempt> attempts, SniMode mode) {
        return attempts.containsKey(mode) && attempts.get(mode).tlsPassed();
    }

    private static String advice(String verdict, Optional<String> failure, boolean sniFiltered, boolean dohWorks) {
        if (sniFiltered) {
            return "The server's name in the ClientHello is filtered: connect without SNI (done automatically).";
        }
        if (verdict.equals(Verdicts.DNS) && dohWorks) {
            return "The system's DNS fails or lies about the name; DNS over HTTPS finds the server (done automatically).";
        }
        if (verdict.equals(Verdicts.OK)) {
            return "Reachable directly.";
        }
        return Verdicts.advice(verdict, failure);
    }

    static String name(Endpoint endpoint) {
        return endpoint.getHost() + ":" + endpoint.getPort();
    }

    /** The client's own rule ({@code ServerConnection}), so that both agree on which endpoints have names. */
    static boolean isName(String host) {
        return !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host);
    }
}
