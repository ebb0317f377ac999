// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import com.google.protobuf.UnsafeByteOperations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.Response;

/**
 * The sending side of a group run: one virtual thread per sender sends its sealed messages, in
 * order, each as one authenticated multi-recipient request (the route a client takes when it
 * does not hold every member's access key), keeping at most {@code window} unanswered, and enters
 * every answer into the ledger. The same loop as the relay scenario's senders, over a different
 * request.
 */
final class FanoutSenders {
    /** How long a sender waits for a free window slot (an answer) before it gives up on the rest. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final FanoutLedger ledger;
    private final SealedMessages messages;
    private final AtomicLongArray sentNanos;
    private final FanoutOptions options;
    private final Map<String, LongAdder> rejections = new ConcurrentHashMap<>();

    FanoutSenders(FanoutLedger ledger, SealedMessages messages, AtomicLongArray sentNanos, FanoutOptions options) {
        this.ledger = ledger;
        this.messages = messages;
        this.sentNanos = sentNanos;
        this.options = options;
    }

    /** {@code sessions.get(s)} is sender s's; returns how many senders gave up waiting for an answer. */
    int sendAll(List<SvyazSystem.Session> sessions) throws BenchException {
        AtomicInteger gaveUp = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(sessions.size());
        for (int sender = 0; sender < sessions.size(); sender++) {
            int index = sender;
            threads.add(Thread.ofVirtual().name("bench-group-sender-" + sender).start(() -> {
                if (!sendOwn(index, sessions.get(index))) {
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

    /** Sends sender {@code sender}'s messages; false when it gave up waiting for the server. */
    private boolean sendOwn(int sender, SvyazSystem.Session session) {
        Semaphore slots = new Semaphore(options.window());
        try {
            for (int message = sender; message < options.messages(); message += options.senders()) {
                if (!slots.tryAcquire(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                int sent = message;
                MultiRecipientSendRequest request = MultiRecipientSendRequest.newBuilder()
                        .setPayload(UnsafeByteOperations.unsafeWrap(messages.payload(message)))
                        .setTimestamp(System.currentTimeMillis())
                        .build();
                sentNanos.set(message, System.nanoTime());
                session.request(ApiPaths.MESSAGES_SEND_MULTI, request).whenComplete((response, failure) -> {
                    answered(sent, response, failure);
                    slots.release();
                });
            }
            // The last sends' answers: the whole window back.
            return slots.tryAcquire(options.window(), ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void answered(int message, Response response, Throwable failure) {
        if (failure == null && response.getError() == ErrorCode.OK) {
            ledger.accepted(message);
            return;
        }
        ledger.rejected(message);
        String reason = failure != null ? "CONNECTION" : response.getError().name();
        rejections.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** Refusals so far, by reason ("CONNECTION" when no answer came). */
    Map<String, Long> rejections() {
        Map<String, Long> counts = new TreeMap<>();
        rejections.forEach((reason, adder) -> counts.put(reason, adder.sum()));
        return counts;
    }
}
