// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
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
import org.svyaz.bench.accounts.AccountRegistrar;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.server.ProcessSample;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;

/**
 * Scenario (a), online relay: N registered users log in over real TLS WebSockets, each sends its
 * share of the messages to randomly chosen other users, keeping at most {@code window} sends
 * unanswered by the server, and every push is acknowledged as a client would. The payload is an
 * opaque blob (the server never decrypts), headed by {@link Payload} so the receivers can account
 * for every message and time it.
 *
 * <p>Phases: register → log in (wait for every queue-empty marker) → send → wait for every answer
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

    private final ServerUnderTest server;
    private final RelayOptions options;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per phase (for stderr); it never names users or addresses. */
    public RelayBenchmark(ServerUnderTest server, RelayOptions options, Consumer<String> progress) {
        this.server = server;
        this.options = options;
        this.progress = progress;
    }

    public RelayReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        long registrationStart = System.nanoTime();
        List<BenchAccount> accounts = new AccountRegistrar(server.link()).register(options.users());
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("registered %d users in %.1f s", accounts.size(), registrationSeconds));

        Optional<ProcessSample> beforeConnections = serverSample();
        DeliveryLedger ledger = new DeliveryLedger(options.quotas());
        Arrivals arrivals = new Arrivals(ledger, options.users());
        long connectStart = System.nanoTime();
        List<ServerConnection> connections = logIn(accounts, arrivals);
        try {
            awaitQueuesEmpty(arrivals);
            double connectSeconds = secondsSince(connectStart);
            progress.accept(String.format("logged in %d users in %.1f s", connections.size(), connectSeconds));

            Optional<ProcessSample> withConnections = serverSample();
            Optional<ProcessSample> loadToolBefore = ProcessSample.of(ProcessHandle.current().pid());
            Map<String, LongAdder> rejections = new ConcurrentHashMap<>();
            long start = System.nanoTime();
            int gaveUp = sendAll(accounts, connections, ledger, rejections);
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
                    options.seed(), server.description(), registrationSeconds, connectSeconds, sendSeconds, runSeconds,
                    runSeconds > 0 ? summary.delivered() / runSeconds : 0, summary, counts(rejections),
                    arrivals.latency(), usage, loadToolCpu, List.copyOf(notes));
        } finally {
            logOut(connections);
        }
    }

    /** Logs every user in, {@link #PARALLEL_LOGINS} at a time; connection i belongs to user i. */
    private List<ServerConnection> logIn(List<BenchAccount> accounts, Arrivals arrivals) throws BenchException {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_LOGINS,
                Thread.ofPlatform().name("bench-login-", 0).daemon(true).factory());
        List<Future<ServerConnection>> pending = new ArrayList<>(accounts.size());
        List<ServerConnection> connections = new ArrayList<>(accounts.size());
        try {
            for (BenchAccount account : accounts) {
                pending.add(pool.submit(() -> ServerConnection.connect(server.linkFor(account.index()),
                        Optional.of(account.credentials()), arrivals.handlerFor(account.index()), CONNECT_TIMEOUT)));
            }
            for (Future<ServerConnection> connection : pending) {
                connections.add(connection.get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS));
            }
            return connections;
        } catch (ExecutionException e) {
            logOut(connections);
            String reason = e.getCause() instanceof ConnectionException failure ? failure.getMessage()
                    : String.valueOf(e.getCause());
            throw new BenchException("A user could not log in: " + reason, e.getCause());
        } catch (TimeoutException e) {
            logOut(connections);
            throw new BenchException("A user's login took longer than " + CONNECT_TIMEOUT.toSeconds() * 2 + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logOut(connections);
            throw new BenchException("Interrupted while logging users in.", e);
        } finally {
            pool.shutdownNow();
            // Connections still being made when a login failed are closed as they come in.
            pending.forEach(connection -> {
                if (connection.state() == Future.State.SUCCESS && !connections.contains(connection.resultNow())) {
                    connection.resultNow().close();
                }
            });
        }
    }

    private void awaitQueuesEmpty(Arrivals arrivals) throws BenchException {
        try {
            if (!arrivals.awaitQueuesEmpty(CONNECT_TIMEOUT)) {
                throw new BenchException("Not every user's connection started receiving within "
                        + CONNECT_TIMEOUT.toSeconds() + " s.", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for the users' connections.", e);
        }
    }

    /**
     * One virtual thread per user sends its quota and then waits for its last answers. Returns how
     * many users gave up waiting for an answer.
     */
    private int sendAll(List<BenchAccount> accounts, List<ServerConnection> connections, DeliveryLedger ledger,
                        Map<String, LongAdder> rejections) throws BenchException {
        int[] quotas = options.quotas();
        byte[] filler = new byte[options.size()];
        new SplittableRandom(options.seed()).nextBytes(filler); // opaque, like ciphertext
        AtomicInteger gaveUp = new AtomicInteger();
        List<Thread> senders = new ArrayList<>(accounts.size());
        for (BenchAccount account : accounts) {
            int user = account.index();
            senders.add(Thread.ofVirtual().name("bench-sender-" + user).start(() -> {
                if (!sendQuota(user, quotas[user], accounts, connections.get(user), ledger, rejections, filler)) {
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
    private boolean sendQuota(int user, int quota, List<BenchAccount> accounts, ServerConnection connection,
                              DeliveryLedger ledger, Map<String, LongAdder> rejections, byte[] filler) {
        SplittableRandom random = new SplittableRandom(options.seed() * 31 + user);
        Semaphore window = new Semaphore(options.window());
        try {
            for (int sequence = 0; sequence < quota; sequence++) {
                if (!window.tryAcquire(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                int peer = random.nextInt(accounts.size() - 1);
                BenchAccount recipient = accounts.get(peer >= user ? peer + 1 : peer); // anyone but the sender
                int seq = sequence;
                byte[] blob = new Payload(user, recipient.index(), seq, System.nanoTime()).encode(options.size(), filler);
                connection.request(ApiPaths.MESSAGES_SEND, sendRequest(recipient, blob))
                        .whenComplete((response, failure) -> {
                            if (failure == null && response.getError() == ErrorCode.OK) {
                                ledger.accepted(user, seq);
                            } else {
                                ledger.rejected(user, seq);
                                rejections.computeIfAbsent(failure == null ? response.getError().name() : "CONNECTION",
                                        k -> new LongAdder()).increment();
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

    /** An identified send of one opaque message to the recipient's only device, as CIPHERTEXT. */
    private static SendRequest sendRequest(BenchAccount recipient, byte[] blob) {
        return SendRequest.newBuilder()
                .setDestination(Uuids.toByteString(recipient.accountId()))
                .setTimestamp(System.currentTimeMillis())
                .addMessages(OutgoingMessage.newBuilder()
                        .setDeviceId(recipient.credentials().deviceId())
                        .setRegistrationId(recipient.registrationId())
                        .setType(EnvelopeType.CIPHERTEXT)
                        .setContent(ByteString.copyFrom(blob)))
                .build();
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

    private void logOut(List<ServerConnection> connections) {
        List<Thread> closers = new ArrayList<>(connections.size());
        for (ServerConnection connection : connections) {
            closers.add(Thread.ofVirtual().name("bench-logout").start(connection::close));
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
        if (server.pids().isEmpty()) {
            return Optional.empty();
        }
        long cpu = 0;
        long rss = 0;
        long peak = 0;
        for (long pid : server.pids()) {
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
