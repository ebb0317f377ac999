// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.server.ProcessSample;

/**
 * Scenario (b), store-and-forward: while every recipient is offline, a few senders send all the
 * messages (the server must keep them); then every recipient logs in, {@code parallelLogins} at a
 * time, and receives what waited. The number that matters is how fast the store gives the messages
 * back: delivered messages per second from the first login to the last arrival.
 */
public final class DrainBenchmark {
    /** Senders log in before anything is measured. */
    private static final int SENDER_LOGINS = 8;

    private final MessagingSystem system;
    private final DrainOptions options;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per phase (for stderr); it never names users or addresses. */
    public DrainBenchmark(MessagingSystem system, DrainOptions options, Consumer<String> progress) {
        this.system = system;
        this.options = options;
        this.progress = progress;
    }

    public DrainReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        int recipients = options.recipients();
        long registrationStart = System.nanoTime();
        system.createUsers(recipients + options.senders());
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("created %d users in %.1f s", recipients + options.senders(),
                registrationSeconds));

        DeliveryLedger ledger = new DeliveryLedger(options.quotas());
        Arrivals arrivals = new Arrivals(ledger);
        List<UserSession> senderSessions = Logins.logIn(system, recipients, options.senders(), arrivals::inboxFor,
                SENDER_LOGINS);
        List<UserSession> recipientSessions = List.of();
        try {
            Senders senders = new Senders(ledger, options.size(), options.window(), options.seed());
            long storeStart = System.nanoTime();
            int gaveUp = senders.sendAll(senderSessions, recipients, options.quotas(),
                    (user, random) -> random.nextInt(recipients));
            double storeSeconds = secondsSince(storeStart);
            if (gaveUp > 0) {
                notes.add(gaveUp + " sender(s) stopped: the server left " + options.window()
                        + " sends unanswered for " + Senders.ANSWER_TIMEOUT.toSeconds() + " s.");
            }
            if (ledger.delivered() > 0) {
                notes.add(ledger.delivered() + " message(s) arrived before any recipient logged in.");
            }
            progress.accept(String.format("%d messages stored in %.1f s with every recipient offline; draining",
                    ledger.acceptedCount(), storeSeconds));

            Optional<ProcessSample> beforeDrain = ServerSamples.of(system.serverPids());
            long drainStart = System.nanoTime();
            recipientSessions = Logins.logIn(system, 0, recipients, arrivals::inboxFor, options.parallelLogins());
            double loginSeconds = secondsSince(drainStart);
            progress.accept(String.format("%d recipients logged in after %.1f s", recipients, loginSeconds));
            if (arrivals.awaitAllDelivered(options.drainTimeout())) {
                arrivals.awaitQuiet();
            } else {
                notes.add("Not everything the server accepted arrived within the drain timeout of "
                        + options.drainTimeout().toSeconds() + " s; the rest is counted lost.");
            }
            long lastArrival = arrivals.lastFirstArrivalNanos();
            Optional<ProcessSample> afterDrain = ServerSamples.of(system.serverPids());

            DeliveryLedger.Summary summary = ledger.summarize();
            double drainSeconds = lastArrival > drainStart ? (lastArrival - drainStart) / 1e9 : loginSeconds;
            Double cpu = beforeDrain.isPresent() && afterDrain.isPresent()
                    ? (afterDrain.get().cpuNanos() - beforeDrain.get().cpuNanos()) / 1e9 : null;
            return new DrainReport("drain", options, system.description(), registrationSeconds, storeSeconds,
                    storeSeconds > 0 ? summary.accepted() / storeSeconds : 0, loginSeconds, drainSeconds,
                    drainSeconds > 0 ? summary.delivered() / drainSeconds : 0, summary, senders.rejections(), cpu,
                    cpu == null || summary.delivered() == 0 ? null : cpu * 1e6 / summary.delivered(),
                    List.copyOf(notes));
        } finally {
            Logins.logOut(senderSessions);
            Logins.logOut(recipientSessions);
        }
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
