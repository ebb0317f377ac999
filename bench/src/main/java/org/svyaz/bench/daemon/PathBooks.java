// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.svyaz.bench.relay.DeliveryLedger;
import org.svyaz.bench.relay.DeliveryLedger.Arrival;
import org.svyaz.bench.relay.Payload;
import org.svyaz.bench.relay.RelayReport.Latency;

/**
 * The books of one way of sending, the daemon connection or a CLI process per send: when each
 * message went out, when the send was answered and when the message reached the receiver's
 * daemon, each counted once. Times are {@link System#nanoTime()} of this one process, so both ends
 * read the same clock. The sending thread, the sender's reader and the receiver's reader call in
 * at once; everything here is under this object's lock (a few calls per message).
 */
final class PathBooks {
    /** The ledger's user numbers: one sender, one recipient. */
    private static final int SENDER = 0;
    private static final int RECIPIENT = 1;

    private final MessageText text;
    private final int size;
    private final int planned;
    private final DeliveryLedger ledger;
    private final long[] sentNanos;
    private final BitSet sent;
    private final Histogram answerMicros = new Histogram(3);
    private final Histogram arrivalMicros = new Histogram(3);
    private final Map<String, Long> failures = new TreeMap<>();
    private long firstSentNanos;
    /** Long.MIN_VALUE until the first: nanoTime may be negative, so 0 would not do. */
    private long lastAnsweredNanos = Long.MIN_VALUE;
    private long lastArrivalNanos = Long.MIN_VALUE;

    PathBooks(MessageText text, int size, int planned) {
        this.text = text;
        this.size = size;
        this.planned = planned;
        this.ledger = new DeliveryLedger(new int[] {planned, 0});
        this.sentNanos = new long[planned];
        this.sent = new BitSet(planned);
    }

    int planned() {
        return planned;
    }

    /** The text of message {@code sequence}. */
    String text(int sequence) {
        return text.text(sequence, size);
    }

    /** Message {@code sequence} is about to be written (or its process started) now. */
    synchronized void sent(int sequence, long nanos) {
        if (sent.isEmpty()) {
            firstSentNanos = nanos;
        }
        sent.set(sequence);
        sentNanos[sequence] = nanos;
    }

    /** The send was answered with success at {@code nanos}. */
    synchronized void accepted(int sequence, long nanos) {
        ledger.accepted(SENDER, sequence);
        answerMicros.recordValue(micros(sequence, nanos));
        lastAnsweredNanos = Math.max(lastAnsweredNanos, nanos);
    }

    /** The send failed at {@code nanos}: an error reply, a failed process, or no answer in time; {@code why} names it. */
    synchronized void refused(int sequence, long nanos, String why) {
        ledger.rejected(SENDER, sequence);
        failures.merge(why, 1L, Long::sum);
        lastAnsweredNanos = Math.max(lastAnsweredNanos, nanos);
    }

    /**
     * A message text reached the receiver at {@code nanos}: counted and timed when it is one of
     * this path's, else left alone.
     *
     * @return whether it was one of this path's messages
     */
    synchronized boolean arrived(String message, long nanos) {
        OptionalInt sequence = text.sequenceOf(message);
        if (sequence.isEmpty()) {
            return false;
        }
        int seq = sequence.getAsInt();
        Arrival arrival = ledger.received(RECIPIENT, Optional.of(new Payload(SENDER, RECIPIENT, seq, 0)));
        if (arrival == Arrival.FIRST && sent.get(seq)) {
            arrivalMicros.recordValue(micros(seq, nanos));
        }
        lastArrivalNanos = Math.max(lastArrivalNanos, nanos);
        return true;
    }

    /** Something that is no message of this run reached the receiver while this path was sending. */
    synchronized void foreign() {
        ledger.received(RECIPIENT, Optional.empty());
    }

    synchronized long answered() {
        return ledger.answered();
    }

    synchronized long delivered() {
        return ledger.delivered();
    }

    /** Whether every accepted message has arrived (the drain's end). */
    synchronized boolean allAcceptedArrived() {
        return ledger.summarize().lost() == 0;
    }

    /** What the books hold now. */
    synchronized Tally tally() {
        return new Tally(ledger.summarize(), Map.copyOf(failures), Latency.of(answerMicros), Latency.of(arrivalMicros),
                seconds(firstSentNanos, lastAnsweredNanos), seconds(firstSentNanos, lastArrivalNanos));
    }

    private long micros(int sequence, long nanos) {
        return Math.max(0, (nanos - sentNanos[sequence]) / 1_000);
    }

    private double seconds(long from, long to) {
        return sent.isEmpty() || to == Long.MIN_VALUE ? 0 : Math.max(0, to - from) / 1e9;
    }

    /**
     * One path's books, added up.
     *
     * @param ledger every message in one column
     * @param failures failed sends by cause
     * @param sendLatency from the request written (or the process started) to the success answer (or the exit)
     * @param notificationLatency from the same moment to the receiver's {@code receive} notification, first arrivals
     * @param sendSeconds first send to last answer
     * @param arrivalSeconds first send to last arrival
     */
    record Tally(DeliveryLedger.Summary ledger, Map<String, Long> failures, Latency sendLatency,
                 Latency notificationLatency, double sendSeconds, double arrivalSeconds) {}
}
