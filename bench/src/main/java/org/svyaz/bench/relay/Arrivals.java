// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.svyaz.client.net.PushHandler;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;

/**
 * The receiving side of a run: every user's pushes are entered into the ledger and, on first
 * arrival, timed. Each push is acknowledged (answered OK), which lets the server delete it, as a
 * real client does once it has stored a message. Payload bytes are read only for the header.
 */
final class Arrivals {
    private static final Response OK = Response.newBuilder().setError(ErrorCode.OK).build();

    private final DeliveryLedger ledger;
    /** Microseconds from send to first arrival; resizes itself, so no value is ever clipped. */
    private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
    private final AtomicLong lastFirstArrivalNanos = new AtomicLong();
    private final AtomicLong lastPushNanos = new AtomicLong();
    private final CountDownLatch queuesEmpty;

    Arrivals(DeliveryLedger ledger, int users) {
        this.ledger = ledger;
        this.queuesEmpty = new CountDownLatch(users);
    }

    /** The push handler for user {@code recipient}'s connection. */
    PushHandler handlerFor(int recipient) {
        return push -> onPush(recipient, push);
    }

    private Response onPush(int recipient, Request push) {
        long now = System.nanoTime();
        lastPushNanos.accumulateAndGet(now, Math::max);
        switch (push.getPath()) {
            case ApiPaths.PUSH_MESSAGE -> {
                Optional<Payload> payload;
                try {
                    payload = Payload.decode(Envelope.parseFrom(push.getBody()).getContent().toByteArray());
                } catch (InvalidProtocolBufferException e) {
                    payload = Optional.empty();
                }
                if (ledger.received(recipient, payload) == DeliveryLedger.Arrival.FIRST) {
                    latencyMicros.recordValue(Math.max(0, (now - payload.get().sentNanos()) / 1_000));
                    lastFirstArrivalNanos.accumulateAndGet(now, Math::max);
                }
                return OK;
            }
            case ApiPaths.PUSH_QUEUE_EMPTY -> {
                // Sent once per connection when the (empty) mailbox has been drained: delivery is live.
                queuesEmpty.countDown();
                return OK;
            }
            default -> {
                return Response.newBuilder().setError(ErrorCode.NOT_FOUND).build();
            }
        }
    }

    /** Waits until every user's connection has reported its mailbox drained; false on timeout. */
    boolean awaitQueuesEmpty(Duration timeout) throws InterruptedException {
        return queuesEmpty.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
}
