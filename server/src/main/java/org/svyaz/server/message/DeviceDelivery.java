// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.QueueEmpty;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/**
 * Pushes one connected device's mailbox to it, in order, and deletes each entry once the device
 * acknowledges it. After the first full drain it sends one QueueEmpty marker so the device knows it
 * has caught up; afterwards new messages are pushed as they arrive ({@link #wake}).
 *
 * <p>An entry pushed but not acknowledged stays in the mailbox and is pushed again on the next
 * connection: delivery is at-least-once and the device drops duplicates by guid.
 */
public final class DeviceDelivery {
    private static final Logger log = LoggerFactory.getLogger(DeviceDelivery.class);
    private static final int BATCH = 100;
    /** Acknowledged entries deleted in one transaction at most. */
    private static final int DELETE_BATCH = 500;
    /**
     * Unacknowledged pushes per connection at most; bounds memory and lets acks pace the drain. At
     * 64 a device draining its mailbox waited on round trips (about 1,100 msgs/s per device in the
     * store-and-forward benchmark, the server mostly idle); at 512 the same run drained about 3.5×
     * faster. 512 pushes of a few hundred bytes is still little memory for a connection that drains.
     */
    private static final int WINDOW = 512;
    /**
     * Unacknowledged pushes a new connection starts with; each acknowledgement widens the window by
     * one up to {@link #WINDOW} (TCP's slow start). A censor that freezes flows after some kilobytes
     * then still lets each flow carry at least one message and its acknowledgement, so a long
     * drain makes progress over successive flows instead of resending the same messages forever.
     */
    private static final int INITIAL_WINDOW = 1;
    /** How soon a mailbox read that failed is tried again. */
    static final Duration READ_RETRY = Duration.ofSeconds(1);

    private final DeviceAddress address;
    private final PushChannel channel;
    private final MailboxStore mailbox;
    private final Executor executor;
    private final Counter delivered;
    private final Semaphore window = new Semaphore(INITIAL_WINDOW);
    private final AtomicInteger windowSize = new AtomicInteger(INITIAL_WINDOW);
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean();
    /** Acknowledged entries waiting to be deleted together (one transaction for many). */
    private final ConcurrentLinkedQueue<MailboxEntry> acknowledged =
            new ConcurrentLinkedQueue<>();
    private final AtomicBoolean deleting = new AtomicBoolean();
    private long lastPushedSequence;
    private boolean queueEmptySent;

    public DeviceDelivery(DeviceAddress address, PushChannel channel, MailboxStore mailbox, Executor executor,
                          Counter delivered) {
        this.address = address;
        this.channel = channel;
        this.mailbox = mailbox;
        this.executor = executor;
        this.delivered = delivered;
    }

    public DeviceAddress address() {
        return address;
    }

    public PushChannel channel() {
        return channel;
    }

    /** Something may have arrived in the mailbox: push it. Safe to call from any thread, any number of times. */
    public void wake() {
        wakeRequested.set(true);
        if (running.compareAndSet(false, true)) {
            executor.execute(this::run);
        }
    }

    private void run() {
        try {
            while (wakeRequested.getAndSet(false) && channel.isOpen()) {
                drain();
            }
        } catch (StoreException e) {
            // The storage is away for a moment (a database restarting, a pool exhausted under load).
            // Closing the connection would make the device reconnect into the same trouble; look
            // again in a second instead, from where the last push left off.
            log.warn("reading a mailbox failed; trying again in {} s: {}", READ_RETRY.toSeconds(), e.getMessage());
            CompletableFuture.delayedExecutor(READ_RETRY.toMillis(), TimeUnit.MILLISECONDS, executor).execute(this::wake);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.set(false);
        }
        // A wake that raced with the end of the loop must not be lost.
        if (wakeRequested.get() && channel.isOpen() && running.compareAndSet(false, true)) {
            executor.execute(this::run);
        }
    }

    private void drain() throws StoreException, InterruptedException {
        while (channel.isOpen()) {
            List<MailboxEntry> batch = mailbox.fetch(address.accountId(), address.deviceId(), lastPushedSequence, BATCH);
            if (batch.isEmpty()) {
                if (!queueEmptySent) {
                    queueEmptySent = true;
                    channel.push(ApiPaths.PUSH_QUEUE_EMPTY, QueueEmpty.getDefaultInstance().toByteString());
                }
                return;
            }
            for (MailboxEntry entry : batch) {
                if (!window.tryAcquire()) {
                    // The acknowledgements that reopen the window answer pushes still in the buffer.
                    channel.flush();
                    window.acquire();
                }
                lastPushedSequence = entry.sequence();
                // One flush per batch: a draining device gets its pushes in few TLS records and writes.
                channel.pushLater(ApiPaths.PUSH_MESSAGE, ByteString.copyFrom(entry.envelope()))
                        .whenComplete((response, failure) -> {
                            boolean acknowledged = failure == null && response.getError() == ErrorCode.OK;
                            window.release(acknowledged && windowSize.getAndUpdate(w -> Math.min(WINDOW, w + 1)) < WINDOW
                                    ? 2 : 1);
                            if (acknowledged) {
                                acknowledge(entry);
                            }
                        });
            }
            channel.flush();
        }
    }

    private void acknowledge(MailboxEntry entry) {
        acknowledged.add(entry);
        if (deleting.compareAndSet(false, true)) {
            executor.execute(this::deleteAcknowledged);
        }
    }

    /**
     * Deletes every acknowledgement that came in meanwhile in one call. While a delete runs, more
     * acknowledgements pile up and go in the next, so a fast drain costs few transactions.
     */
    private void deleteAcknowledged() {
        try {
            List<MailboxEntry> batch = new ArrayList<>();
            MailboxEntry entry;
            while (batch.size() < DELETE_BATCH && (entry = acknowledged.poll()) != null) {
                batch.add(entry);
            }
            if (!batch.isEmpty()) {
                int deleted = mailbox.delete(address.accountId(), address.deviceId(),
                        batch.stream().map(MailboxEntry::guid).toList());
                delivered.increment(deleted);
            }
        } catch (StoreException e) {
            // The entries stay and are pushed again on the next connection; the device drops the duplicates.
            log.warn("deleting acknowledged messages failed: {}", e.getMessage());
        } finally {
            deleting.set(false);
        }
        if (!acknowledged.isEmpty() && deleting.compareAndSet(false, true)) {
            executor.execute(this::deleteAcknowledged);
        }
    }
}
