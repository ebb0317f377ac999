// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.ConcurrentHistogram;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.Waits;

/**
 * The receiving side of a group run: every copy that reaches a member is identified
 * ({@link SealedMessages#identify}), entered into the ledger and, on first arrival, timed from its
 * message's send; when it is the last copy its message was missing, the message's completion is
 * timed too. Copies of every {@code verifyStride}-th message are kept for {@link CopyVerifier}.
 */
final class FanoutArrivals {
    /** A first arrival kept to be opened after the run. */
    record Copy(int member, int message, byte[] content) {}

    private final FanoutLedger ledger;
    private final SealedMessages messages;
    private final AtomicLongArray sentNanos;
    private final int verifyStride;
    /** Microseconds from a message's send to each of its first arrivals. */
    private final ConcurrentHistogram copyMicros = new ConcurrentHistogram(3);
    /** Microseconds from a message's send to the arrival of its last missing copy. */
    private final ConcurrentHistogram completionMicros = new ConcurrentHistogram(3);
    private final AtomicLong lastFirstArrivalNanos = new AtomicLong();
    private final AtomicLong lastPushNanos = new AtomicLong();
    private final ConcurrentLinkedQueue<Copy> kept = new ConcurrentLinkedQueue<>();

    /** {@code sentNanos[i]}: {@link System#nanoTime()} just before message i's send, set by the senders. */
    FanoutArrivals(FanoutLedger ledger, SealedMessages messages, AtomicLongArray sentNanos, int verifyStride) {
        this.ledger = ledger;
        this.messages = messages;
        this.sentNanos = sentNanos;
        this.verifyStride = verifyStride;
    }

    /** Where member {@code member}'s session hands what reaches it. */
    Inbox inboxFor(int member) {
        return Inbox.opaque(copy -> arrived(member, copy));
    }

    private void arrived(int member, byte[] copy) {
        long now = System.nanoTime();
        lastPushNanos.accumulateAndGet(now, Math::max);
        OptionalInt message = messages.identify(copy);
        FanoutLedger.Arrival arrival = message.isPresent() ? ledger.received(member, message.getAsInt())
                : ledger.foreign();
        if (arrival != FanoutLedger.Arrival.FIRST && arrival != FanoutLedger.Arrival.LAST_COPY) {
            return;
        }
        long sent = sentNanos.get(message.getAsInt());
        copyMicros.recordValue(Math.max(0, (now - sent) / 1_000));
        if (arrival == FanoutLedger.Arrival.LAST_COPY) {
            completionMicros.recordValue(Math.max(0, (now - sent) / 1_000));
        }
        lastFirstArrivalNanos.accumulateAndGet(now, Math::max);
        if (message.getAsInt() % verifyStride == 0) {
            kept.add(new Copy(member, message.getAsInt(), copy));
        }
    }

    /** {@link System#nanoTime()} of the latest first arrival, or 0 when nothing arrived. */
    long lastFirstArrivalNanos() {
        return lastFirstArrivalNanos.get();
    }

    RelayReport.Latency copyLatency() {
        return RelayReport.Latency.of(copyMicros);
    }

    RelayReport.Latency completionLatency() {
        return RelayReport.Latency.of(completionMicros);
    }

    /** The first arrivals kept for verification. */
    List<Copy> kept() {
        return List.copyOf(kept);
    }

    /** Waits until every copy the accepted messages owe has arrived, at most {@code timeout}. */
    boolean awaitAllDelivered(Duration timeout) throws BenchException {
        return Waits.until(() -> ledger.delivered() >= ledger.expectedCopies(), timeout);
    }

    /** Waits until no copy has come for a while (late duplicates), bounded. */
    void awaitQuiet() throws BenchException {
        Waits.quiet(lastPushNanos::get);
    }
}
