// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.svyaz.client.net.DohResolver;

/** The two DNS sources the client uses: the system's resolver and the descriptor's DNS-over-HTTPS resolvers. */
final class DnsLookup {
    /** Keeps a little of the step's time for collecting the answers before the step's own limit. */
    private static final Duration COLLECT = Duration.ofMillis(200);

    private final StepRunner steps;

    DnsLookup(StepRunner steps) {
        this.steps = steps;
    }

    /** The system's resolver, as the client's direct routes use it ({@code dns} step). */
    DnsAnswer system(String host) {
        StepRunner.Outcome<List<InetAddress>> outcome = steps.run("dns",
                limit -> List.of(InetAddress.getAllByName(host)), DnsLookup::describe);
        return new DnsAnswer(outcome.result(), outcome.value().orElse(List.of()));
    }

    /** An address written as such in the descriptor: nothing to look up. */
    static DnsAnswer literal(String host) {
        try {
            return new DnsAnswer(StepResult.ok("dns", 0, "a literal address: nothing to look up"),
                    List.of(InetAddress.getByName(host)));
        } catch (UnknownHostException e) {
            return new DnsAnswer(StepResult.failed("dns", Failures.of(e), 0, host + " is not a valid address"), List.of());
        }
    }

    /**
     * Every resolver at once, the union of their answers ({@code dns_doh} step), as the client's
     * DoH route does. A resolver that lies only adds an address the pinned handshake will refuse.
     */
    DnsAnswer doh(List<String> resolverUrls, String host) {
        StepRunner.Outcome<List<InetAddress>> outcome = steps.run("dns_doh",
                limit -> askAll(resolverUrls, host, limit), DnsLookup::describe);
        return new DnsAnswer(outcome.result(), outcome.value().orElse(List.of()));
    }

    private static List<InetAddress> askAll(List<String> resolverUrls, String host, Duration limit) throws Exception {
        // A and AAAA are asked one after the other, each within half the step.
        Duration perQuery = limit.dividedBy(2);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<CompletableFuture<List<InetAddress>>> lookups = new ArrayList<>();
            for (String url : resolverUrls) {
                lookups.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return DohResolver.parse(url).resolve(host, perQuery);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, executor));
            }
            try {
                CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new))
                        .get(Math.max(1, limit.minus(COLLECT).toMillis()), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                // Whatever answered is used below; the failures explain an empty union.
            }
            Set<InetAddress> union = new LinkedHashSet<>();
            Optional<Throwable> firstFailure = Optional.empty();
            for (CompletableFuture<List<InetAddress>> lookup : lookups) {
                if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
                    union.addAll(lookup.join());
                } else if (lookup.isCompletedExceptionally() && firstFailure.isEmpty()) {
                    firstFailure = Optional.of(cause(lookup));
                }
            }
            if (!union.isEmpty()) {
                return List.copyOf(union);
            }
            throw firstFailure.map(DnsLookup::asException).orElseGet(() ->
                    new SocketTimeoutException("no DNS-over-HTTPS resolver answered in time"));
        } finally {
            executor.shutdownNow();
        }
    }

    private static Throwable cause(CompletableFuture<?> failed) {
        try {
            failed.join();
            throw new IllegalStateException("called for a lookup that did not fail");
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return cause instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : cause;
        }
    }

    private static Exception asException(Throwable failure) {
        return failure instanceof Exception e ? e : new Exception(failure);
    }

    private static String describe(List<InetAddress> addresses) {
        return "answered " + String.join(", ", addresses.stream().map(InetAddress::getHostAddress).toList());
    }
}
