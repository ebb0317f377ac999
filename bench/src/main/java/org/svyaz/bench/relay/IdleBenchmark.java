// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.server.JavaHeap;
import org.svyaz.bench.server.ProcessSample;

/**
 * Scenario (c), idle connections: as many authenticated connections as asked for (or as the
 * machine holds: logging in stops at the first failure, and what came up is measured), each a
 * registered user's only device with nothing to receive; they stay idle for a while, then the
 * server's memory is read after a full collection and compared with its memory before any of them.
 * The number that matters is server memory per held connection.
 */
public final class IdleBenchmark {
    private static final int PROGRESS_STEPS = 10;

    private final MessagingSystem system;
    private final IdleOptions options;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per phase (for stderr); it never names users or addresses. */
    public IdleBenchmark(MessagingSystem system, IdleOptions options, Consumer<String> progress) {
        this.system = system;
        this.options = options;
        this.progress = progress;
    }

    public IdleReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        int connections = options.connections();
        long registrationStart = System.nanoTime();
        system.createUsers(connections);
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("created %d users in %.1f s", connections, registrationSeconds));

        Optional<Long> heapBefore = liveHeap();
        Optional<ProcessSample> before = ServerSamples.of(system.serverPids());
        Optional<ProcessSample> toolBefore = loadToolAfterGc();
        DeliveryLedger ledger = new DeliveryLedger(new int[connections]);
        Arrivals arrivals = new Arrivals(ledger);
        ConcurrentLinkedQueue<UserSession> sessions = new ConcurrentLinkedQueue<>();
        AtomicReference<String> failure = new AtomicReference<>();
        try {
            long loginStart = System.nanoTime();
            logInAll(arrivals, sessions, failure);
            double loginSeconds = secondsSince(loginStart);
            Optional<ProcessSample> afterLogins = ServerSamples.of(system.serverPids());
            progress.accept(String.format("%d connections up after %.1f s%s; idle for %d s", sessions.size(),
                    loginSeconds, failure.get() == null ? "" : " (logging in stopped: " + failure.get() + ")",
                    options.hold().toSeconds()));
            sleep(options.hold());

            int held = (int) sessions.stream().filter(UserSession::isOpen).count();
            if (held < sessions.size()) {
                notes.add((sessions.size() - held) + " connection(s) closed while idle.");
            }
            Optional<Long> heapWith = liveHeap();
            Optional<ProcessSample> with = ServerSamples.of(system.serverPids());
            Optional<ProcessSample> toolWith = loadToolAfterGc();
            if (ledger.summarize().foreign() > 0) {
                notes.add(ledger.summarize().foreign() + " message(s) arrived on connections that expected none.");
            }
            Double rssPerConnection = before.isPresent() && with.isPresent() && held > 0
                    ? (double) (with.get().rssBytes() - before.get().rssBytes()) / held : null;
            Double heapPerConnection = heapBefore.isPresent() && heapWith.isPresent() && held > 0
                    ? (double) (heapWith.get() - heapBefore.get()) / held : null;
            Double toolPerConnection = toolBefore.isPresent() && toolWith.isPresent() && held > 0
                    ? (double) (toolWith.get().rssBytes() - toolBefore.get().rssBytes()) / held : null;
            Double cpuPerLogin = before.isPresent() && afterLogins.isPresent() && !sessions.isEmpty()
                    ? (afterLogins.get().cpuNanos() - before.get().cpuNanos()) / 1e3 / sessions.size() : null;
            return new IdleReport("idle", options, system.description(), registrationSeconds, held, loginSeconds,
                    failure.get(), before.map(ProcessSample::rssBytes).orElse(null),
                    with.map(ProcessSample::rssBytes).orElse(null), rssPerConnection, heapPerConnection,
                    toolPerConnection, cpuPerLogin, List.copyOf(notes));
        } finally {
            progress.accept("logging " + sessions.size() + " connections out");
            Logins.logOut(List.copyOf(sessions));
        }
    }

    /**
     * Logs every user in, {@code parallelLogins} at a time, into {@code sessions}; after the first
     * failure no further login starts (the machine holds no more, or the server refuses), and the
     * failure's message goes to {@code failure}. Bounded like {@link Logins}: each login gets its
     * own timeout after waiting for its turn.
     */
    private void logInAll(Arrivals arrivals, ConcurrentLinkedQueue<UserSession> sessions,
                          AtomicReference<String> failure) throws BenchException {
        int connections = options.connections();
        int step = Math.max(1, connections / PROGRESS_STEPS);
        AtomicInteger done = new AtomicInteger();
        Semaphore turns = new Semaphore(options.parallelLogins());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int user = 0; user < connections; user++) {
                int index = user;
                pool.execute(() -> {
                    try {
                        turns.acquire();
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        if (failure.get() != null) {
                            return;
                        }
                        sessions.add(system.logIn(index, arrivals.inboxFor(index)));
                        int count = done.incrementAndGet();
                        if (count % step == 0 && count < connections) {
                            progress.accept(count + " of " + connections + " connections up");
                        }
                    } catch (BenchException | RuntimeException e) {
                        failure.compareAndSet(null, e.getMessage());
                    } finally {
                        turns.release();
                    }
                });
            }
            pool.shutdown();
            long timeout = Logins.LOGIN_TIMEOUT.toNanos() * (1 + connections / options.parallelLogins());
            if (!pool.awaitTermination(timeout, TimeUnit.NANOSECONDS)) {
                failure.compareAndSet(null, "logging in took longer than " + Logins.LOGIN_TIMEOUT.toSeconds()
                        + " s per login");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while logging users in.", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The live heap of every server process added up; empty unless all are JVMs jcmd reaches. */
    private Optional<Long> liveHeap() {
        List<Long> pids = system.serverPids();
        long total = 0;
        for (long pid : pids) {
            Optional<Long> live = JavaHeap.liveBytesAfterFullGc(pid);
            if (live.isEmpty()) {
                return Optional.empty();
            }
            total += live.get();
        }
        return pids.isEmpty() ? Optional.empty() : Optional.of(total);
    }

    private static Optional<ProcessSample> loadToolAfterGc() {
        System.gc();
        return ProcessSample.of(ProcessHandle.current().pid());
    }

    private static void sleep(Duration duration) throws BenchException {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while the connections were idle.", e);
        }
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
