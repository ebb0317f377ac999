// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.server.ProcessSample;

/**
 * Scenario (d), reconnect storm, as after a network cut: every device is online; then the network
 * stops carrying anything to them (each connection stops reading, while the server still holds it
 * and pushes into it); senders send the messages, which the server must keep; then every device
 * reconnects at once, as phones do when the network comes back, each retrying with exponential
 * back-off and jitter when its login fails. The numbers that matter are the time until every device
 * is back and the time until everything that waited has arrived, exactly once.
 */
public final class StormBenchmark {
    private static final int SENDER_LOGINS = 8;
    /** The report names this many of the most common reasons a login failed. */
    private static final int MOST_COMMON_FAILURES = 3;
    private static final int PARALLEL_FIRST_LOGINS = 64;
    private static final long FIRST_BACK_OFF_MILLIS = 250;
    private static final Duration LONGEST_BACK_OFF = Duration.ofSeconds(8);

    private final MessagingSystem system;
    private final StormOptions options;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per phase (for stderr); it never names users or addresses. */
    public StormBenchmark(MessagingSystem system, StormOptions options, Consumer<String> progress) {
        this.system = system;
        this.options = options;
        this.progress = progress;
    }

    public StormReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        int devices = options.devices();
        long registrationStart = System.nanoTime();
        system.createUsers(devices + options.senders());
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("created %d users in %.1f s", devices + options.senders(),
                registrationSeconds));

        DeliveryLedger ledger = new DeliveryLedger(options.quotas());
        Arrivals arrivals = new Arrivals(ledger);
        List<UserSession> senderSessions = List.of();
        List<UserSession> cutSessions = List.of();
        ConcurrentLinkedQueue<UserSession> reconnected = new ConcurrentLinkedQueue<>();
        try {
            senderSessions = Logins.logIn(system, devices, options.senders(), arrivals::inboxFor, SENDER_LOGINS);
            cutSessions = Logins.logIn(system, 0, devices, arrivals::inboxFor, PARALLEL_FIRST_LOGINS);
            progress.accept(devices + " devices online; cutting them off");
            for (UserSession session : cutSessions) {
                session.stopReading();
            }

            Senders senders = new Senders(ledger, options.size(), options.window(), options.seed());
            long storeStart = System.nanoTime();
            int gaveUpSending = senders.sendAll(senderSessions, devices, options.quotas(),
                    (user, random) -> random.nextInt(devices));
            double storeSeconds = secondsSince(storeStart);
            if (gaveUpSending > 0) {
                notes.add(gaveUpSending + " sender(s) stopped: the server left " + options.window()
                        + " sends unanswered for " + Senders.ANSWER_TIMEOUT.toSeconds() + " s.");
            }
            if (ledger.delivered() > 0) {
                notes.add(ledger.delivered() + " message(s) arrived while the devices were cut off.");
            }
            progress.accept(String.format("%d messages accepted in %.1f s while the devices were cut off; "
                    + "every device reconnects now", ledger.acceptedCount(), storeSeconds));

            Optional<ProcessSample> before = ServerSamples.of(system.serverPids());
            long stormStart = System.nanoTime();
            long deadline = stormStart + options.timeout().toNanos();
            AtomicLong retries = new AtomicLong();
            AtomicInteger gaveUp = new AtomicInteger();
            ConcurrentHashMap<String, Long> failures = new ConcurrentHashMap<>();
            reconnectAll(arrivals, cutSessions, reconnected, retries, gaveUp, failures, deadline);
            double authenticatedSeconds = secondsSince(stormStart);
            progress.accept(String.format("%d devices back after %.1f s (%d retries, %d gave up)",
                    reconnected.size(), authenticatedSeconds, retries.get(), gaveUp.get()));

            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            boolean drained = arrivals.awaitAllDelivered(left);
            if (drained) {
                arrivals.awaitQuiet();
            } else {
                notes.add("Not everything the server accepted arrived within the storm's timeout of "
                        + options.timeout().toSeconds() + " s; the rest is counted lost.");
            }
            long lastArrival = arrivals.lastFirstArrivalNanos();
            Optional<ProcessSample> after = ServerSamples.of(system.serverPids());
            Double drainedSeconds = !drained ? null
                    : (lastArrival > stormStart ? (lastArrival - stormStart) / 1e9 : 0.0);
            Double cpu = before.isPresent() && after.isPresent()
                    ? (after.get().cpuNanos() - before.get().cpuNanos()) / 1e9 : null;
            failures.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(MOST_COMMON_FAILURES)
                    .forEach(failure -> notes.add(failure.getValue() + " failed login(s): " + failure.getKey()));
            return new StormReport("storm", options, system.description(), registrationSeconds, storeSeconds,
                    reconnected.size(), gaveUp.get(), retries.get(), authenticatedSeconds, drainedSeconds,
                    ledger.summarize(), senders.rejections(), cpu,
                    cpu == null || reconnected.isEmpty() ? null : cpu * 1e6 / reconnected.size(), List.copyOf(notes));
        } finally {
            Logins.logOut(senderSessions);
            Logins.logOut(List.copyOf(reconnected));
            Logins.logOut(cutSessions);
        }
    }

    /**
     * Every device logs in again, {@code parallelLogins} at a time (all at once by default); a
     * failed login is retried after a back-off that doubles from {@value #FIRST_BACK_OFF_MILLIS} ms up
     * to 8 s, scaled by a random factor from 0.5 to 1.5 so the retries do not come back in step.
     */
    private void reconnectAll(Arrivals arrivals, List<UserSession> cutSessions,
                              ConcurrentLinkedQueue<UserSession> reconnected, AtomicLong retries,
                              AtomicInteger gaveUp, ConcurrentHashMap<String, Long> failures, long deadline)
            throws BenchException {
        Semaphore turns = new Semaphore(options.parallelLogins());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int device = 0; device < options.devices(); device++) {
                int index = device;
                Random jitter = new Random(options.seed() ^ index);
                pool.execute(() -> {
                    Optional<UserSession> session = reconnect(index, arrivals, jitter, turns, retries, failures,
                            deadline);
                    session.ifPresentOrElse(back -> {
                        reconnected.add(back);
                        // The server replaced the cut connection with this one and closed it, but a
                        // connection that stopped reading does not notice; a phone whose network
                        // changed has dropped its old socket too. Without this the tool holds every
                        // old socket and every new one at once, twice the devices in open files.
                        cutSessions.get(index).close();
                    }, gaveUp::incrementAndGet);
                });
            }
            pool.shutdown();
            if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                pool.shutdownNow();
                // Logins still waiting for their turn or their answer end with the interrupt.
                pool.awaitTermination(LONGEST_BACK_OFF.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted during the reconnect storm.", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private Optional<UserSession> reconnect(int device, Arrivals arrivals, Random jitter, Semaphore turns,
                                            AtomicLong retries, ConcurrentHashMap<String, Long> failures,
                                            long deadline) {
        long backOffMillis = FIRST_BACK_OFF_MILLIS;
        while (true) {
            try {
                turns.acquire();
                try {
                    return Optional.of(system.logIn(device, arrivals.inboxFor(device)));
                } finally {
                    turns.release();
                }
            } catch (BenchException e) {
                failures.merge(String.valueOf(e.getMessage()), 1L, Long::sum);
                long pause = (long) (backOffMillis * (0.5 + jitter.nextDouble()));
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) >= deadline) {
                    return Optional.empty();
                }
                retries.incrementAndGet();
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    return Optional.empty();
                }
                backOffMillis = Math.min(backOffMillis * 2, LONGEST_BACK_OFF.toMillis());
            } catch (InterruptedException e) {
                return Optional.empty();
            }
        }
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
