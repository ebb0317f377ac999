// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lines waiting to be written to one connection, and the one thread that writes them. A single
 * writer means lines never interleave, and that a slow reader blocks only this thread: callers and the
 * publisher just queue, up to a bound.
 */
final class Outbox implements Runnable {
    /** Queued after the last frame to stop the writer; compared by identity. */
    private static final byte[] END = new byte[0];

    private final OutputStream out;
    private final int capacity;
    private final Runnable onWriteFailure;
    private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closed;

    /** @param onWriteFailure runs once the connection cannot be written to any more */
    Outbox(OutputStream out, int capacity, Runnable onWriteFailure) {
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.capacity = capacity;
        this.onWriteFailure = onWriteFailure;
    }

    /**
     * Queues one line. Never blocks.
     *
     * @return false when {@code capacity} lines are already waiting; frames offered after the outbox
     *     closed are dropped and count as accepted
     */
    boolean offer(String frame) {
        if (closed) {
            return true;
        }
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            return false;
        }
        byte[] text = frame.getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[text.length + 1];
        System.arraycopy(text, 0, line, 0, text.length);
        line[text.length] = '\n';
        queue.add(line);
        return true;
    }

    /** The writer loop: flushes whenever the queue runs dry, returns after {@link #finish} or a failure. */
    @Override
    public void run() {
        try {
            while (true) {
                byte[] line = queue.take();
                if (line == END) {
                    out.flush();
                    return;
                }
                queued.decrementAndGet();
                out.write(line);
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            closed = true;
            queue.clear();
            onWriteFailure.run();
        } catch (InterruptedException e) {
            closed = true;
            Thread.currentThread().interrupt();
        }
    }

    /** The writer stops after writing what is queued now. */
    void finish() {
        queue.add(END);
    }

    /** Drops what is queued and stops the writer; later frames are dropped too. */
    void abandon() {
        closed = true;
        queue.clear();
        queue.add(END);
    }
}
