// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.server.ProcessSample;

/**
 * Scenario (a), online relay, against any {@link MessagingSystem}: N users log in, each sends its
 * share of the messages to randomly chosen other users, keeping at most {@code window} sends
 * unacknowledged by the server. The payload is an opaque blob (the server never decrypts), headed
 * by {@link Payload} so the receivers can account for every message and time it; the same bytes go
 * through every system.
 *
 * <p>Phases: create users → log in (each until its delivery is live) → send → wait for every answer
 * → drain (until everything accepted has arrived, or the drain timeout) → listen until quiet (late
 * duplicates) → log out. Every wait is bounded.
 */
public final class RelayBenchmark {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How long a user waits for a free window slot (an answer) before it gives up on the rest. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    /** Logins in flight at once: TLS handshakes on both sides compete for the same cores. */
    private static final int PARALLEL_LOGINS = 8;
    private static final Duration DRAIN_POLL = Duration.ofMillis(10);
    /**
     * Once everything has arrived, the run listens on until no push came for this long, so that a
     * duplicate pushed right behind the last message is still counted.
     */
    private static final Duration QUIET = Duration.ofMillis(500);
    /** The quiet wait's own bound, for a server that keeps pushing. */
    private static final Duration QUIET_LIMIT = Duration.ofSeconds(10);

    private final MessagingSystem system;
    private final RelayOptions options;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per phase (for stderr); it never names users or addresses. */
    public RelayBenchmark(MessagingSystem system, RelayOptions options, Consumer<String> progress) {
        this.system = system;
        this.options = options;
        this.progress = progress;
    }

    public RelayReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        long registrationStart = System.nanoTime();
        system.createUsers(options.users());
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("created %d users in %.1f s", options.users(), registrationSeconds));

        Optional<ProcessSample> beforeConnections = serverSample();
        DeliveryLedger ledger = new DeliveryLedger(options.quotas());
        Arrivals arrivals = new Arrivals(ledger);
        long connectStart = System.nanoTime();
        List<UserSession> connections = logIn(arrivals);
        try {
            double connectSeconds = secondsSince(connectStart);
            progress.accept(String.format("logged in %d users in %.1f s", connections.size(), connectSeconds));

            Optional<ProcessSample> withConnections = serverSample();
            Optional<ProcessSample> loadToolBefore = ProcessSample.of(ProcessHandle.current().pid());
            Map<String, LongAdder> rejections = new ConcurrentHashMap<>();
            long start = System.nanoTime();
            int gaveUp = sendAll(connections, ledger, rejections);
            double sendSeconds = secondsSince(start);
            if (gaveUp > 0) {
                notes.add(gaveUp + " user(s) stopped sending: the server left " + options.window()
                        + " sends unanswered for " + ANSWER_TIMEOUT.toSeconds() + " s.");
            }
            progress.accept(String.format("%d sends answered in %.1f s; draining", ledger.answered(), sendSeconds));

            boolean drained = drain(ledger);
            if (drained) {
                awaitQuiet(arrivals);
            } else {
                notes.add("Not everything the server accepted arrived within the drain timeout of "
                        + options.drainTimeout().toSeconds() + " s; the rest is counted lost.");
            }
            Optional<ProcessSample> afterRun = serverSample();
            Optional<ProcessSample> loadToolAfter = ProcessSample.of(ProcessHandle.current().pid());
            long closed = connections.stream().filter(c -> !c.isOpen()).count();
            if (closed > 0) {
                notes.add(closed + " connection(s) closed during the run.");
            }

            DeliveryLedger.Summary summary = ledger.summarize();
            long lastArrival = arrivals.lastFirstArrivalNanos();
            double runSeconds = lastArrival == 0 ? sendSeconds : (lastArrival - start) / 1e9;
            RelayReport.ServerUsage usage = usage(beforeConnections, withConnections, afterRun, summary.delivered());
            Double loadToolCpu = loadToolBefore.isPresent() && loadToolAfter.isPresent()
                    ? (loadToolAfter.get().cpuNanos() - loadToolBefore.get().cpuNanos()) / 1e9 : null;
            return new RelayReport("relay", options.users(), options.messages(), options.size(), options.window(),
                    options.seed(), system.description(), registrationSeconds, connectSeconds, sendSeconds, runSeconds,
                    runSeconds > 0 ? summary.delivered() / runSeconds : 0, summary, counts(rejections),
                    arrivals.latency(), usage, loadToolCpu, List.copyOf(notes));
        } finally {
            logOut(connections);
        }
    }

    /** Logs every user in, {@link #PARALLEL_LOGINS} at a time; session i belongs to user i. */
    private List<UserSession> logIn(Arrivals arrivals) throws BenchException {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_LOGINS,
                Thread.ofPlatform().name("bench-login-", 0).daemon(true).factory());
        List<Future<UserSession>> pending = new ArrayList<>(options.users());
        List<UserSession> sessions = new ArrayList<>(options.users());
        try {
            for (int user = 0; user < options.users(); user++) {
                int index = user;
                pending.add(pool.submit(() -> system.logIn(index, arrivals.inboxFor(index))));
            }
            for (Future<UserSession> session : pending) {
                sessions.add(session.get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS));
            }
            return sessions;
        } catch (ExecutionException e) {
            logOut(sessions);
            if (e.getCause() instanceof BenchException failure) {
                throw failure;
            }
            throw new BenchException("A user could not log in: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            logOut(sessions);
            throw new BenchException("A user's login took longer than " + CONNECT_TIMEOUT.toSeconds() * 2 + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logOut(sessions);
            throw new BenchException("Interrupted while logging users in.", e);
        } finally {
            pool.shutdownNow();
            // Sessions still being made when a login failed are closed as they come in.
            pending.forEach(session -> {
                if (session.state() == Future.State.SUCCESS && !sessions.contains(session.resultNow())) {
                    session.resultNow().close();
                }
            });
        }
    }

    /**
     * One virtual thread per user sends its quota and then waits for its last answers. Returns how
     * many users gave up waiting for an answer.
     */
    private int sendAll(List<UserSession> sessions, DeliveryLedger ledger, Map<String, LongAdder> rejections)
            throws BenchException {
        int[] quotas = options.quotas();
        byte[] filler = new byte[options.size()];
        new SplittableRandom(options.seed()).nextBytes(filler); // opaque, like ciphertext
        AtomicInteger gaveUp = new AtomicInteger();
        List<Thread> senders = new ArrayList<>(sessions.size());
        for (int i = 0; i < sessions.size(); i++) {
            int user = i;
            senders.add(Thread.ofVirtual().name("bench-sender-" + user).start(() -> {
                if (!sendQuota(user, quotas[user], sessions.get(user), ledger, rejections, filler)) {
                    gaveUp.incrementAndGet();
                }
            }));
        }
        try {
            // Each sender's own waits are bounded, so this join is too.
            for (Thread sender : senders) {
                sender.join();
            }
        } catch (InterruptedException e) {
            senders.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while sending.", e);
        }
        return gaveUp.get();
    }

    /** Sends one user's messages; false when it gave up waiting for the server. */
    private boolean sendQuota(int user, int quota, UserSession session, DeliveryLedger ledger,
                              Map<String, LongAdder> rejections, byte[] filler) {
        SplittableRandom random = new SplittableRandom(options.seed() * 31 + user);
        Semaphore window = new Semaphore(options.window());
        try {
            for (int sequence = 0; sequence < quota; sequence++) {
                if (!window.tryAcquire(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                int peer = random.nextInt(options.users() - 1);
                int recipient = peer >= user ? peer + 1 : peer; // anyone but the sender
                int seq = sequence;
                byte[] blob = new Payload(user, recipient, seq, System.nanoTime()).encode(options.size(), filler);
                session.send(recipient, blob).whenComplete((ignored, failure) -> {
                    if (failure == null) {
                        ledger.accepted(user, seq);
                    } else {
                        ledger.rejected(user, seq);
                        rejections.computeIfAbsent(reason(failure), k -> new LongAdder()).increment();
                    }
                    window.release();
                });
            }
            // The last sends' answers: the whole window back.
            return window.tryAcquire(options.window(), ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String reason(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof SendRefusedException refused ? refused.reason() : "CONNECTION";
    }

    /** Waits until everything accepted has arrived or the drain timeout passes; true when it all arrived. */
    private boolean drain(DeliveryLedger ledger) throws BenchException {
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        try {
            while (ledger.delivered() < ledger.acceptedCount()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(DRAIN_POLL.toMillis());
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for deliveries.", e);
        }
    }

    /** Waits until no push has come for {@link #QUIET}, at most {@link #QUIET_LIMIT}. */
    private static void awaitQuiet(Arrivals arrivals) throws BenchException {
        long limit = System.nanoTime() + QUIET_LIMIT.toNanos();
        try {
            while (System.nanoTime() - arrivals.lastPushNanos() < QUIET.toNanos() && System.nanoTime() < limit) {
                Thread.sleep(DRAIN_POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for late duplicates.", e);
        }
    }

    private void logOut(List<UserSession> sessions) {
        List<Thread> closers = new ArrayList<>(sessions.size());
        for (UserSession session : sessions) {
            closers.add(Thread.ofVirtual().name("bench-logout").start(session::close));
        }
        for (Thread closer : closers) {
            try {
                closer.join(Duration.ofSeconds(15)); // close() bounds its own waits below this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** All node processes added up; empty when any cannot be read. */
    private Optional<ProcessSample> serverSample() {
        if (system.serverPids().isEmpty()) {
            return Optional.empty();
        }
        long cpu = 0;
        long rss = 0;
        long peak = 0;
        for (long pid : system.serverPids()) {
            Optional<ProcessSample> sample = ProcessSample.of(pid);
            if (sample.isEmpty()) {
                return Optional.empty();
            }
            cpu += sample.get().cpuNanos();
            rss += sample.get().rssBytes();
            peak += sample.get().peakRssBytes();
        }
        return Optional.of(new ProcessSample(cpu, rss, peak));
    }

    private RelayReport.ServerUsage usage(Optional<ProcessSample> beforeConnections,
                                          Optional<ProcessSample> withConnections, Optional<ProcessSample> afterRun,
                                          long delivered) {
        if (beforeConnections.isEmpty() || withConnections.isEmpty() || afterRun.isEmpty()) {
            return null;
        }
        double cpuSeconds = (afterRun.get().cpuNanos() - withConnections.get().cpuNanos()) / 1e9;
        return new RelayReport.ServerUsage(cpuSeconds, delivered == 0 ? 0 : cpuSeconds * 1e6 / delivered,
                beforeConnections.get().rssBytes(), withConnections.get().rssBytes(),
                (withConnections.get().rssBytes() - beforeConnections.get().rssBytes()) / options.users(),
                afterRun.get().rssBytes(), afterRun.get().peakRssBytes());
    }

    private static Map<String, Long> counts(Map<String, LongAdder> adders) {
        Map<String, Long> counts = new TreeMap<>();
        adders.forEach((reason, adder) -> counts.put(reason, adder.sum()));
        return counts;
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
