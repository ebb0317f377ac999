// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.svyaz.bench.BenchException;

/**
 * The receiving side of a run: every message that reaches a user is entered into the ledger and,
 * on first arrival, timed. Payload bytes are read only for the header. Arrivals that failed
 * end-to-end decryption are also counted apart, for the report.
 */
final class Arrivals {
    private final DeliveryLedger ledger;
    /** Microseconds from send to first arrival; resizes itself, so no value is ever clipped. */
    private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
    private final AtomicLong lastFirstArrivalNanos = new AtomicLong();
    private final AtomicLong lastPushNanos = new AtomicLong();
    private final AtomicLong undecryptable = new AtomicLong();

    Arrivals(DeliveryLedger ledger) {
        this.ledger = ledger;
    }

    /** Where user {@code recipient}'s session hands what reaches it. */
    Inbox inboxFor(int recipient) {
        return new Inbox() {
            @Override
            public void arrived(byte[] blob) {
                Arrivals.this.arrived(recipient, blob);
            }

            @Override
            public void arrivedAgain() {
                pushed(System.nanoTime());
                ledger.receivedAgain();
            }

            @Override
            public void arrivedUndecryptable() {
                pushed(System.nanoTime());
                undecryptable.incrementAndGet();
                ledger.received(recipient, Optional.empty());
            }
        };
    }

    private void arrived(int recipient, byte[] blob) {
        long now = System.nanoTime();
        pushed(now);
        Optional<Payload> payload = Payload.decode(blob);
        if (ledger.received(recipient, payload) == DeliveryLedger.Arrival.FIRST) {
            latencyMicros.recordValue(Math.max(0, (now - payload.get().sentNanos()) / 1_000));
            lastFirstArrivalNanos.accumulateAndGet(now, Math::max);
        }
    }

    private void pushed(long nanos) {
        lastPushNanos.accumulateAndGet(nanos, Math::max);
    }

    /** Arrivals that failed end-to-end decryption; the ledger counts them foreign. */
    long undecryptable() {
        return undecryptable.get();
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
        return RelayReport.Latency.of(latencyMicros);
    }

    /** Waits until everything accepted so far has arrived, at most {@code timeout}; true when it all arrived. */
    boolean awaitAllDelivered(Duration timeout) throws BenchException {
        return Waits.until(() -> ledger.delivered() >= ledger.acceptedCount(), timeout);
    }

    /** Waits until no message has come for a while (late duplicates), bounded. */
    void awaitQuiet() throws BenchException {
        Waits.quiet(lastPushNanos::get);
    }
}
