// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.server.ProcessSample;

/**
 * Scenario (a), online relay, against any {@link MessagingSystem}: N users log in, each sends its
 * share of the messages to randomly chosen other users, keeping at most {@code window} sends
 * unacknowledged by the server. The payload is a blob headed by {@link Payload}, so the receivers
 * can account for every message and time it. The server never decrypts: it carries either the blob
 * itself (opaque, the same bytes through every system) or, in Svyaz's end-to-end mode, the blob
 * encrypted with libsignal by the sender and decrypted by the recipient before it is counted.
 *
 * <p>Phases: create users → log in (each until its delivery is live) → send → wait for every answer
 * → drain (until everything accepted has arrived, or the drain timeout) → listen until quiet (late
 * duplicates) → log out. Every wait is bounded.
 */
public final class RelayBenchmark {
    /** Logins in flight at once: TLS handshakes on both sides compete for the same cores. */
    private static final int PARALLEL_LOGINS = 8;

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

        Optional<ProcessSample> beforeConnections = ServerSamples.of(system.serverPids());
        DeliveryLedger ledger = new DeliveryLedger(options.quotas());
        Arrivals arrivals = new Arrivals(ledger);
        long connectStart = System.nanoTime();
        List<UserSession> sessions = Logins.logIn(system, 0, options.users(), arrivals::inboxFor, PARALLEL_LOGINS);
        try {
            double connectSeconds = secondsSince(connectStart);
            progress.accept(String.format("logged in %d users in %.1f s", sessions.size(), connectSeconds));

            Optional<ProcessSample> withConnections = ServerSamples.of(system.serverPids());
            Optional<ProcessSample> loadToolBefore = ProcessSample.of(ProcessHandle.current().pid());
            Senders senders = new Senders(ledger, options.size(), options.window(), options.seed(),
                    options.sendIntervalNanos());
            long start = System.nanoTime();
            int gaveUp = senders.sendAll(sessions, 0, options.quotas(), (user, random) -> {
                int peer = random.nextInt(options.users() - 1);
                return peer >= user ? peer + 1 : peer; // anyone but the sender
            });
            double sendSeconds = secondsSince(start);
            if (gaveUp > 0) {
                notes.add(gaveUp + " user(s) stopped sending: the server left " + options.window()
                        + " sends unanswered for " + Senders.ANSWER_TIMEOUT.toSeconds() + " s.");
            }
            progress.accept(String.format("%d sends answered in %.1f s; draining", ledger.answered(), sendSeconds));

            if (arrivals.awaitAllDelivered(options.drainTimeout())) {
                arrivals.awaitQuiet();
            } else {
                notes.add("Not everything the server accepted arrived within the drain timeout of "
                        + options.drainTimeout().toSeconds() + " s; the rest is counted lost.");
            }
            Optional<ProcessSample> afterRun = ServerSamples.of(system.serverPids());
            Optional<ProcessSample> loadToolAfter = ProcessSample.of(ProcessHandle.current().pid());
            long closed = sessions.stream().filter(c -> !c.isOpen()).count();
            if (closed > 0) {
                notes.add(closed + " connection(s) closed during the run.");
            }
            if (arrivals.undecryptable() > 0) {
                notes.add(arrivals.undecryptable() + " message(s) failed to decrypt: counted foreign, and lost.");
            }
            notes.addAll(system.notes());

            DeliveryLedger.Summary summary = ledger.summarize();
            long lastArrival = arrivals.lastFirstArrivalNanos();
            double runSeconds = lastArrival == 0 ? sendSeconds : (lastArrival - start) / 1e9;
            RelayReport.ServerUsage usage = usage(beforeConnections, withConnections, afterRun, summary.delivered());
            Double loadToolCpu = loadToolBefore.isPresent() && loadToolAfter.isPresent()
                    ? (loadToolAfter.get().cpuNanos() - loadToolBefore.get().cpuNanos()) / 1e9 : null;
            return new RelayReport("relay", options.users(), options.messages(), options.size(), options.window(),
                    options.rate(), options.seed(), system.description(), system.payload(), registrationSeconds, connectSeconds,
                    sendSeconds, runSeconds, runSeconds > 0 ? summary.delivered() / runSeconds : 0, summary,
                    arrivals.undecryptable(), senders.rejections(),
                    arrivals.latency(), usage, loadToolCpu, List.copyOf(notes));
        } finally {
            Logins.logOut(sessions);
        }
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

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
