// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.svyaz.bench.BenchException;

/**
 * The sending side of a run: one virtual thread per sending user sends its quota of benchmark
 * messages to recipients chosen at random (seeded), keeping at most {@code window} sends
 * unacknowledged, and enters every answer into the ledger.
 *
 * <p>Closed loop (no interval): a user sends whenever its window has room, and a message's latency
 * counts from when it was sent. Open loop (an interval): a user's messages are due on a fixed
 * schedule, one every interval, the users' schedules staggered evenly; a message waits for its due
 * time and then for room in the window, and its latency counts from when it was due. A server
 * that falls behind the offered load then shows it in the latency instead of slowing the senders
 * down unseen (coordinated omission).
 */
final class Senders {
    /** How long a user waits for a free window slot (an answer) before it gives up on the rest. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    /** Picks user {@code sender}'s next recipient. */
    @FunctionalInterface
    interface RecipientChoice {
        int next(int sender, SplittableRandom random);
    }

    private final DeliveryLedger ledger;
    private final int size;
    private final int window;
    private final long seed;
    private final long intervalNanos;
    private final byte[] filler;
    private final Map<String, LongAdder> rejections = new ConcurrentHashMap<>();

    /** A closed-loop sender: as fast as the window allows. */
    Senders(DeliveryLedger ledger, int size, int window, long seed) {
        this(ledger, size, window, seed, 0);
    }

    /** {@code intervalNanos}: between one user's sends on the open-loop schedule; 0 for a closed loop. */
    Senders(DeliveryLedger ledger, int size, int window, long seed, long intervalNanos) {
        this.ledger = ledger;
        this.size = size;
        this.window = window;
        this.seed = seed;
        this.intervalNanos = intervalNanos;
        this.filler = new byte[size];
        new SplittableRandom(seed).nextBytes(filler); // opaque, like ciphertext
    }

    /**
     * Sessions.get(i) belongs to user {@code firstUser + i}, which sends {@code quotas[firstUser + i]}
     * messages. Returns how many users gave up waiting for an answer.
     */
    int sendAll(List<UserSession> sessions, int firstUser, int[] quotas, RecipientChoice recipients)
            throws BenchException {
        AtomicInteger gaveUp = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(sessions.size());
        long start = System.nanoTime();
        for (int i = 0; i < sessions.size(); i++) {
            int user = firstUser + i;
            UserSession session = sessions.get(i);
            // Staggered, so the users' sends together come at an even rate, not in bursts.
            long firstDue = start + intervalNanos * i / sessions.size();
            threads.add(Thread.ofVirtual().name("bench-sender-" + user).start(() -> {
                if (!sendQuota(user, quotas[user], session, recipients, firstDue)) {
                    gaveUp.incrementAndGet();
                }
            }));
        }
        try {
            // Each sender's own waits are bounded, so this join is too.
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while sending.", e);
        }
        return gaveUp.get();
    }

    /** Sends one user's messages; false when it gave up waiting for the server. */
    private boolean sendQuota(int user, int quota, UserSession session, RecipientChoice recipients, long firstDue) {
        SplittableRandom random = new SplittableRandom(seed * 31 + user);
        Semaphore slots = new Semaphore(window);
        try {
            for (int sequence = 0; sequence < quota; sequence++) {
                long due = firstDue + intervalNanos * sequence;
                if (intervalNanos > 0) {
                    waitUntil(due);
                }
                if (!slots.tryAcquire(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                int recipient = recipients.next(user, random);
                int seq = sequence;
                long sentNanos = intervalNanos > 0 ? due : System.nanoTime();
                byte[] blob = new Payload(user, recipient, seq, sentNanos).encode(size, filler);
                session.send(recipient, blob).whenComplete((ignored, failure) -> {
                    if (failure == null) {
                        ledger.accepted(user, seq);
                    } else {
                        ledger.rejected(user, seq);
                        rejections.computeIfAbsent(reason(failure), k -> new LongAdder()).increment();
                    }
                    slots.release();
                });
            }
            // The last sends' answers: the whole window back.
            return slots.tryAcquire(window, ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void waitUntil(long dueNanos) throws InterruptedException {
        long left;
        while ((left = dueNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** Refusals so far, by reason ("CONNECTION" when no answer came). */
    Map<String, Long> rejections() {
        Map<String, Long> counts = new TreeMap<>();
        rejections.forEach((reason, adder) -> counts.put(reason, adder.sum()));
        return counts;
    }

    private static String reason(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof SendRefusedException refused ? refused.reason() : "CONNECTION";
    }
}
