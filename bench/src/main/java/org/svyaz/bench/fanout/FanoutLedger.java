// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The books of a group run: every group message is one send that the server must turn into one
 * copy for each member but the sender. For each message the ledger knows whether the server
 * accepted the send and which members have their copy, so that at the end every expected copy is
 * either delivered or lost, and every arrival beyond that is a duplicate, misrouted or foreign.
 * Senders' answers and members' arrivals come in on many threads; each message's books have their
 * own lock.
 */
public final class FanoutLedger {
    /** What one arrival was. */
    public enum Arrival {
        /** The first copy of a message at a member, with other members' copies still missing. */
        FIRST,
        /** The first copy of a message at a member, and the last one the message was missing. */
        LAST_COPY,
        /** A copy the member already had. */
        DUPLICATE,
        /** A copy at the message's own sender, which is not one of its recipients. */
        MISROUTED,
        /** Not a message of this run. */
        FOREIGN
    }

    private final int members;
    private final int[] senders;
    private final MessageBooks[] books;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong copies = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong misrouted = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();

    /** A group of {@code members} members (0 to members - 1); {@code senders[i]} sends message i. */
    public FanoutLedger(int members, int[] senders) {
        if (members < 2) {
            throw new IllegalArgumentException("a group message needs a sender and at least one recipient");
        }
        this.members = members;
        this.senders = senders.clone();
        this.books = new MessageBooks[senders.length];
        for (int i = 0; i < senders.length; i++) {
            checkMember(senders[i]);
            books[i] = new MessageBooks(members);
        }
    }

    /** Copies each message should reach: every member but its sender. */
    public int copiesPerMessage() {
        return members - 1;
    }

    /** The server stored the message for every recipient (answered OK). */
    public void accepted(int message) {
        MessageBooks entry = books(message);
        synchronized (entry) {
            if (!entry.accepted) {
                entry.accepted = true;
                accepted.incrementAndGet();
            }
        }
    }

    /** The server refused the send, or it never got an answer. */
    public void rejected(int message) {
        MessageBooks entry = books(message);
        synchronized (entry) {
            if (!entry.rejected) {
                entry.rejected = true;
                rejected.incrementAndGet();
            }
        }
    }

    /** A copy of message {@code message} reached member {@code member}. */
    public Arrival received(int member, int message) {
        checkMember(member);
        if (message < 0 || message >= books.length) {
            return foreign();
        }
        if (senders[message] == member) {
            misrouted.incrementAndGet();
            return Arrival.MISROUTED;
        }
        MessageBooks entry = books[message];
        boolean last;
        synchronized (entry) {
            if (entry.delivered.get(member)) {
                duplicates.incrementAndGet();
                return Arrival.DUPLICATE;
            }
            entry.delivered.set(member);
            entry.count++;
            last = entry.count == copiesPerMessage();
        }
        copies.incrementAndGet();
        return last ? Arrival.LAST_COPY : Arrival.FIRST;
    }

    /** Something reached a member that is no message of this run. */
    public Arrival foreign() {
        foreign.incrementAndGet();
        return Arrival.FOREIGN;
    }

    /** Distinct copies delivered; cheap, for watching progress. */
    public long delivered() {
        return copies.get();
    }

    /** Copies the accepted messages should reach; cheap, for watching progress. */
    public long expectedCopies() {
        return accepted.get() * copiesPerMessage();
    }

    /** Messages with an answer from the server, either way. */
    public long answered() {
        return accepted.get() + rejected.get();
    }

    /** Every column, counted now. */
    public Summary summarize() {
        long unanswered = 0;
        long lost = 0;
        long deliveredUnacknowledged = 0;
        long complete = 0;
        for (MessageBooks message : books) {
            synchronized (message) {
                if (!message.accepted && !message.rejected) {
                    unanswered++;
                }
                if (message.accepted) {
                    lost += copiesPerMessage() - message.count;
                } else {
                    deliveredUnacknowledged += message.count;
                }
                if (message.count == copiesPerMessage()) {
                    complete++;
                }
            }
        }
        return new Summary(books.length, accepted.get(), rejected.get(), unanswered, expectedCopies(), copies.get(),
                lost, duplicates.get(), deliveredUnacknowledged, misrouted.get(), foreign.get(), complete);
    }

    private MessageBooks books(int message) {
        if (message < 0 || message >= books.length) {
            throw new IllegalArgumentException("no such message in this run");
        }
        return books[message];
    }

    private void checkMember(int member) {
        if (member < 0 || member >= members) {
            throw new IllegalArgumentException("no such member in this group");
        }
    }

    /**
     * The ledger's columns: messages (sends) first, then copies (one per recipient of a message).
     *
     * @param planned messages the run meant to send
     * @param accepted messages the server answered OK: it stored a copy for every recipient
     * @param rejected messages answered with an error, or whose connection broke before the answer
     * @param unanswered messages neither accepted nor rejected (the run stopped waiting)
     * @param expectedCopies copies the accepted messages owe: accepted times (members - 1)
     * @param delivered distinct copies that reached a recipient
     * @param lost copies of accepted messages that never arrived
     * @param duplicates copies beyond the first at the same member
     * @param deliveredUnacknowledged copies of messages whose OK never reached the sender
     * @param misrouted copies that reached the message's own sender
     * @param foreign arrivals that were not messages of this run
     * @param complete messages every recipient received
     */
    public record Summary(long planned, long accepted, long rejected, long unanswered, long expectedCopies,
                          long delivered, long lost, long duplicates, long deliveredUnacknowledged, long misrouted,
                          long foreign, long complete) {}

    /** One message: the server's answer and which members have their copy. */
    private static final class MessageBooks {
        final BitSet delivered;
        int count;
        boolean accepted;
        boolean rejected;

        MessageBooks(int members) {
            this.delivered = new BitSet(members);
        }
    }
}
