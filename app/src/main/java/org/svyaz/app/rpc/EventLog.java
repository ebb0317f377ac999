// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The last {@value #KEPT} events (received messages, and file transfer progress for the web app),
 * numbered, for {@code GET /api/v1/events} and its
 * {@code Last-Event-ID} replay. Event streams pull from it at their own pace, so a slow one never slows
 * down the publisher.
 *
 * <p>Ids start at the daemon's start time in milliseconds times 1000. An id a client kept from an earlier
 * run is then older than anything kept (or newer than anything sent) and so unknown, and the client gets
 * every kept event instead of silently skipping the ones numbered below its stale id.
 */
final class EventLog {
    static final int KEPT = 1_000;

    /**
     * One event: its id, its {@code event:} type ({@code receive} or {@code transfer}) and its
     * {@code data:} line, e.g. {@code {"envelope":…,"account":…}}.
     */
    record Event(long id, String type, String data) {}

    /**
     * Events read together, and the id to read after next: the newest id when they were read, which is
     * where a stream stands even when the id it asked with was unknown.
     */
    record Page(List<Event> events, long cursor) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final Deque<Event> kept = new ArrayDeque<>(KEPT);
    private long lastId;
    private boolean closed;

    EventLog(Clock clock) {
        this.lastId = clock.millis() * 1_000;
    }

    void append(String type, ObjectNode params) {
        String data = RpcJson.write(params);
        lock.lock();
        try {
            if (kept.size() == KEPT) {
                kept.removeFirst();
            }
            kept.addLast(new Event(++lastId, type, data));
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The id of the newest event, or of the one before the first when none was appended yet. */
    long lastId() {
        lock.lock();
        try {
            return lastId;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The kept events after {@code id}. An id that is not one this log could have handed out recently
     * (older than the oldest kept one, or newer than the newest) gives every kept event.
     */
    Page after(long id) {
        lock.lock();
        try {
            long oldest = kept.isEmpty() ? lastId + 1 : kept.getFirst().id();
            boolean known = id >= oldest - 1 && id <= lastId;
            List<Event> events = new ArrayList<>();
            for (Event event : kept) {
                if (!known || event.id() > id) {
                    events.add(event);
                }
            }
            return new Page(events, lastId);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until an event newer than {@code id} exists; false on timeout or when the log closed. */
    boolean awaitAfter(long id, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (lastId <= id && !closed) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = appended.awaitNanos(nanos);
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting stream for good: the daemon is stopping. */
    void close() {
        lock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
