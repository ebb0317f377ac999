// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.svyaz.protocol.wire.Response;

/**
 * The requests one side of a WebSocket has sent and not yet had answered, by request id: the
 * client's requests to the server, the server's pushes to a device. Ids count from 1 per
 * connection. Each request's future completes with the peer's {@link Response}, or fails when its
 * write fails ({@link #fail}), its timeout passes, or the connection closes ({@link #failAll}).
 * Safe to use from any thread.
 */
public final class PendingRequests {
    private final ScheduledExecutorService timer;
    private final AtomicLong nextId = new AtomicLong(1);
    private final ConcurrentHashMap<Long, CompletableFuture<Response>> waiting = new ConcurrentHashMap<>();
    /** Set once by {@link #failAll}; requests registered later fail at once with it. */
    private volatile Throwable closed;

    /** @param timer runs the timeouts of {@link #register(Duration)}; the connection's event loop will do */
    public PendingRequests(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** A request id and the future its response will complete. */
    public record Pending(long id, CompletableFuture<Response> response) {}

    /** A new request that waits for its response as long as the connection lasts. */
    public Pending register() {
        long id = nextId.getAndIncrement();
        CompletableFuture<Response> response = new CompletableFuture<>();
        waiting.put(id, response);
        // After the put: either failAll's sweep finds the entry, or this sees that it ran.
        Throwable closedBy = closed;
        if (closedBy != null) {
            fail(id, closedBy);
        }
        return new Pending(id, response);
    }

    /** A new request that fails with a {@link TimeoutException} unless answered within {@code timeout}. */
    public Pending register(Duration timeout) {
        Pending pending = register();
        try {
            ScheduledFuture<?> expiry = timer.schedule(() -> fail(pending.id(),
                    new TimeoutException("no response within " + timeout.toMillis() + " ms")),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            pending.response().whenComplete((response, failure) -> expiry.cancel(false));
        } catch (RejectedExecutionException e) {
            // The timer has shut down: the connection is gone.
            fail(pending.id(), e);
        }
        return pending;
    }

    /**
     * Completes the request the response answers; returns false when no request with its id is
     * waiting (never sent, timed out, or answered already), and then does nothing.
     */
    public boolean complete(Response response) {
        CompletableFuture<Response> waiter = waiting.remove(response.getId());
        if (waiter == null) {
            return false;
        }
        waiter.complete(response);
        return true;
    }

    /** Fails request {@code id} (its write failed); returns false when it was no longer waiting. */
    public boolean fail(long id, Throwable cause) {
        CompletableFuture<Response> waiter = waiting.remove(id);
        if (waiter == null) {
            return false;
        }
        waiter.completeExceptionally(cause);
        return true;
    }

    /** The connection has closed: fails every waiting request, and every one registered from now on. */
    public void failAll(Throwable cause) {
        closed = cause;
        waiting.keySet().forEach(id -> fail(id, cause));
    }

    /** Requests waiting for their response. */
    public int size() {
        return waiting.size();
    }
}
