// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's books: for every sender, which of its messages the server accepted and which
 * arrived, so that at the end every message is in exactly one column. Senders' results and
 * receivers' arrivals come in on many threads at once; each sender's books have their own lock.
 */
public final class DeliveryLedger {
    /** What one arrival was. */
    public enum Arrival {
        /** The first arrival of a message at the user it was sent to. */
        FIRST,
        /** The same (sender, sequence) again. */
        DUPLICATE,
        /** A benchmark message that reached another user than the one it was sent to. */
        MISROUTED,
        /**
         * Not a message this run sent: unreadable (undecryptable, in an end-to-end mode), or a
         * sender or sequence out of range.
         */
        FOREIGN
    }

    private final SenderBooks[] senders;
    private final AtomicLong firstArrivals = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong misrouted = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    /** {@code quotas[i]} is how many messages user i will send, numbered 0 to quotas[i] - 1. */
    public DeliveryLedger(int[] quotas) {
        senders = new SenderBooks[quotas.length];
        for (int i = 0; i < quotas.length; i++) {
            if (quotas[i] < 0) {
                throw new IllegalArgumentException("a quota cannot be negative");
            }
            senders[i] = new SenderBooks(quotas[i]);
        }
    }

    /** The server stored the message (answered OK). */
    public void accepted(int sender, int sequence) {
        SenderBooks books = books(sender, sequence);
        synchronized (books) {
            if (!books.accepted.get(sequence)) {
                books.accepted.set(sequence);
                accepted.incrementAndGet();
            }
        }
    }

    /** The server refused the message, or the request never got an answer. */
    public void rejected(int sender, int sequence) {
        SenderBooks books = books(sender, sequence);
        synchronized (books) {
            if (!books.rejected.get(sequence)) {
                books.rejected.set(sequence);
                rejected.incrementAndGet();
            }
        }
    }

    /** A message pushed to user {@code recipient}; empty when it carried no benchmark header. */
    public Arrival received(int recipient, Optional<Payload> payload) {
        if (payload.isEmpty()) {
            foreign.incrementAndGet();
            return Arrival.FOREIGN;
        }
        Payload message = payload.get();
        if (message.sender() < 0 || message.sender() >= senders.length || message.sequence() < 0
                || message.sequence() >= senders[message.sender()].quota) {
            foreign.incrementAndGet();
            return Arrival.FOREIGN;
        }
        if (message.recipient() != recipient) {
            misrouted.incrementAndGet();
            return Arrival.MISROUTED;
        }
        SenderBooks books = senders[message.sender()];
        synchronized (books) {
            if (books.delivered.get(message.sequence())) {
                duplicates.incrementAndGet();
                return Arrival.DUPLICATE;
            }
            books.delivered.set(message.sequence());
        }
        firstArrivals.incrementAndGet();
        return Arrival.FIRST;
    }

    /**
     * A message that reached its recipient again, known to be a repeat although its header is
     * unreadable: end-to-end decryption refused it as a message it had already decrypted.
     */
    public Arrival receivedAgain() {
        duplicates.incrementAndGet();
        return Arrival.DUPLICATE;
    }

    /** Messages that arrived at least once; cheap, for watching progress. */
    public long delivered() {
        return firstArrivals.get();
    }

    /** Messages the server accepted; cheap, for watching progress. */
    public long acceptedCount() {
        return accepted.get();
    }

    /** Messages with an answer from the server, either way. */
    public long answered() {
        return accepted.get() + rejected.get();
    }

    /** Every column, counted now. */
    public Summary summarize() {
        long planned = 0;
        long lost = 0;
        long deliveredUnacknowledged = 0;
        long unanswered = 0;
        for (SenderBooks books : senders) {
            synchronized (books) {
                planned += books.quota;
                BitSet missing = (BitSet) books.accepted.clone();
                missing.andNot(books.delivered);
                lost += missing.cardinality();
                BitSet early = (BitSet) books.delivered.clone();
                early.andNot(books.accepted);
                deliveredUnacknowledged += early.cardinality();
                BitSet answered = (BitSet) books.accepted.clone();
                answered.or(books.rejected);
                unanswered += books.quota - answered.cardinality();
            }
        }
        return new Summary(planned, accepted.get(), rejected.get(), unanswered, firstArrivals.get(), duplicates.get(),
                lost, deliveredUnacknowledged, misrouted.get(), foreign.get());
    }

    private SenderBooks books(int sender, int sequence) {
        if (sender < 0 || sender >= senders.length || sequence < 0 || sequence >= senders[sender].quota) {
            throw new IllegalArgumentException("no such message in this run");
        }
        return senders[sender];
    }

    /**
     * The ledger's columns.
     *
     * @param planned messages the run meant to send
     * @param accepted answered OK by the server
     * @param rejected answered with an error, or the connection broke before the answer
     * @param unanswered neither accepted nor rejected (the run stopped waiting)
     * @param delivered distinct messages that reached their recipient
     * @param duplicates arrivals beyond the first of a message
     * @param lost accepted by the server but never delivered
     * @param deliveredUnacknowledged delivered although the server's OK never reached the sender
     * @param misrouted benchmark messages that reached the wrong user
     * @param foreign arrivals that were not messages of this run, or could not be decrypted
     */
    public record Summary(long planned, long accepted, long rejected, long unanswered, long delivered,
                          long duplicates, long lost, long deliveredUnacknowledged, long misrouted, long foreign) {}

    /** One sender's messages by sequence number. */
    private static final class SenderBooks {
        final int quota;
        final BitSet accepted;
        final BitSet rejected;
        final BitSet delivered;

        SenderBooks(int quota) {
            this.quota = quota;
            this.accepted = new BitSet(quota);
            this.rejected = new BitSet(quota);
            this.delivered = new BitSet(quota);
        }
    }
}
