// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks every DNS-over-HTTPS resolver of the descriptor at once and takes the union of their
 * answers. A resolver that lies only adds an address whose TLS key will not match the pin; one
 * that is blocked or slow costs at most {@link #GRACE} once another has answered.
 */
final class DohLookup {
    /** How long to wait for the other resolvers once one has answered. */
    static final Duration GRACE = Duration.ofSeconds(1);

    private DohLookup() {}

    static List<InetAddress> resolve(List<String> resolverUrls, String name, Duration timeout) throws ConnectionException {
        List<String> problems = new ArrayList<>();
        List<CompletableFuture<List<InetAddress>>> lookups = new ArrayList<>();
        // Not closed with try-with-resources: close() would wait for a resolver that hangs.
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (String url : resolverUrls) {
                DohResolver resolver;
                try {
                    resolver = DohResolver.parse(url);
                } catch (IllegalArgumentException e) {
                    problems.add(url + ": " + e.getMessage());
                    continue;
                }
                lookups.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return resolver.resolve(name, timeout);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, executor));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            long graceEnd = Long.MAX_VALUE;
            // Bounded by the deadline: each round waits at most 50 ms.
            while (System.nanoTime() < deadline && System.nanoTime() < graceEnd
                    && !lookups.stream().allMatch(CompletableFuture::isDone)) {
                if (graceEnd == Long.MAX_VALUE && lookups.stream().anyMatch(l -> l.isDone() && !l.isCompletedExceptionally())) {
                    graceEnd = System.nanoTime() + GRACE.toNanos();
                }
                try {
                    CompletableFuture.anyOf(lookups.stream().filter(l -> !l.isDone()).toArray(CompletableFuture[]::new))
                            .get(50, TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException ignored) {
                    // Checked again by the loop condition.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConnectionException("Interrupted while looking up " + name + ".", e);
                }
            }
            Set<InetAddress> addresses = new LinkedHashSet<>();
            for (CompletableFuture<List<InetAddress>> lookup : lookups) {
                if (!lookup.isDone()) {
                    problems.add("a resolver did not answer in time");
                } else if (lookup.isCompletedExceptionally()) {
                    problems.add(cause(lookup));
                } else {
                    addresses.addAll(lookup.join());
                }
            }
            if (addresses.isEmpty()) {
                throw new ConnectionException("DNS over HTTPS found no address for " + name
                        + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)), null);
            }
            return List.copyOf(addresses);
        } finally {
            executor.shutdownNow();
        }
    }

    private static String cause(CompletableFuture<?> failed) {
        try {
            failed.join();
            return "";
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }
    }
}
