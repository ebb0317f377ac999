// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.svyaz.bench.BenchException;

/**
 * The receiving side of a run: every message that reaches a user is entered into the ledger and,
 * on first arrival, timed. Payload bytes are read only for the header.
 */
final class Arrivals {
    private static final Duration POLL = Duration.ofMillis(10);
    /**
     * Once everything has arrived, a run listens on until no message came for this long, so that a
     * duplicate pushed right behind the last message is still counted.
     */
    private static final Duration QUIET = Duration.ofMillis(500);
    /** The quiet wait's own bound, for a server that keeps pushing. */
    private static final Duration QUIET_LIMIT = Duration.ofSeconds(10);

    private final DeliveryLedger ledger;
    /** Microseconds from send to first arrival; resizes itself, so no value is ever clipped. */
    private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
    private final AtomicLong lastFirstArrivalNanos = new AtomicLong();
    private final AtomicLong lastPushNanos = new AtomicLong();

    Arrivals(DeliveryLedger ledger) {
        this.ledger = ledger;
    }

    /** Where user {@code recipient}'s session hands what reaches it. */
    Inbox inboxFor(int recipient) {
        return blob -> arrived(recipient, blob);
    }

    private void arrived(int recipient, byte[] blob) {
        long now = System.nanoTime();
        lastPushNanos.accumulateAndGet(now, Math::max);
        Optional<Payload> payload = Payload.decode(blob);
        if (ledger.received(recipient, payload) == DeliveryLedger.Arrival.FIRST) {
            latencyMicros.recordValue(Math.max(0, (now - payload.get().sentNanos()) / 1_000));
            lastFirstArrivalNanos.accumulateAndGet(now, Math::max);
        }
    }

    /** {@link System#nanoTime()} of the latest first arrival, or 0 when nothing arrived. */
    long lastFirstArrivalNanos() {
        return lastFirstArrivalNanos.get();
    }

    /** {@link System#nanoTime()} of the latest push of any kind, or 0 before the first. */
    long lastPushNanos() {
        return lastPushNanos.get();
    }

    RelayReport.Latency latency() {
        Histogram snapshot = latencyMicros.copy();
        return new RelayReport.Latency(snapshot.getTotalCount(), millis(snapshot.getValueAtPercentile(50)),
                millis(snapshot.getValueAtPercentile(90)), millis(snapshot.getValueAtPercentile(99)),
                millis(snapshot.getValueAtPercentile(99.9)), millis(snapshot.getMaxValue()));
    }

    private static double millis(long micros) {
        return micros / 1_000.0;
    }

    /** Waits until everything accepted so far has arrived, at most {@code timeout}; true when it all arrived. */
    boolean awaitAllDelivered(Duration timeout) throws BenchException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (ledger.delivered() < ledger.acceptedCount()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(POLL.toMillis());
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for deliveries.", e);
        }
    }

    /** Waits until no message has come for {@link #QUIET}, at most {@link #QUIET_LIMIT}. */
    void awaitQuiet() throws BenchException {
        long limit = System.nanoTime() + QUIET_LIMIT.toNanos();
        try {
            while (System.nanoTime() - lastPushNanos.get() < QUIET.toNanos() && System.nanoTime() < limit) {
                Thread.sleep(POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting for late duplicates.", e);
        }
    }
}
