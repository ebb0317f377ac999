// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.node.NullNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One newline-delimited JSON-RPC connection (UNIX socket, TCP or stdio): one request per line in, one
 * reply or notification per line out.
 *
 * <p>Each request runs on its own virtual thread, so a slow call never holds up the next one; replies go
 * out in the order calls finish, matched by id. At {@code maxInFlight} running calls the reader waits,
 * which stops reading the socket. A line over {@code maxFrameBytes} gets a -32600 reply naming the limit
 * and the connection goes on. When the input ends, the peer waits for its running calls, writes their
 * replies, then closes; if the client is gone by then, the calls still complete and the replies are dropped.
 */
final class LinePeer implements RpcPeer {
    private static final Logger log = LoggerFactory.getLogger(LinePeer.class);

    private final String label;
    private final InputStream in;
    private final Closeable connection;
    private final RpcDispatcher dispatcher;
    private final ReceiveHub hub;
    private final PeerLimits limits;
    private final Outbox outbox;
    private final Semaphore inFlight;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean takesNotifications;

    /**
     * @param connection closed when the peer ends, or to end it from outside
     * @param takesNotifications false for the command socket: its peers (svyaz commands) get no
     *     {@code receive} notifications and count for no audience
     */
    LinePeer(String label, InputStream in, OutputStream out, Closeable connection,
            RpcDispatcher dispatcher, ReceiveHub hub, PeerLimits limits, boolean takesNotifications) {
        this.label = label;
        this.takesNotifications = takesNotifications;
        this.in = in;
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.hub = hub;
        this.limits = limits;
        this.outbox = new Outbox(out, limits.maxQueuedFrames(), this::close);
        this.inFlight = new Semaphore(limits.maxInFlight());
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public boolean acceptsPushes() {
        return takesNotifications;
    }

    @Override
    public void push(String frame) {
        send(frame);
    }

    /** Serves the connection until its input ends or it is closed, then closes it. */
    void run() {
        Thread writer = Thread.ofVirtual().name(label + "-writer").start(outbox);
        if (takesNotifications) {
            hub.attach(this);
        }
        log.info("{} connected", label);
        try {
            readRequests();
        } catch (IOException e) {
            // Closed by us, or reset by the client: either way this connection is over.
            log.debug("{} read ended: {}", label, e.getClass().getSimpleName());
        } finally {
            if (takesNotifications) {
                hub.detach(this);
            }
            inFlight.acquireUninterruptibly(limits.maxInFlight());
            outbox.finish();
            joinUninterruptibly(writer);
            close();
            log.info("{} disconnected", label);
        }
    }

    /** Ends the connection now: queued lines are dropped, running calls finish unheard. */
    void close() {
        if (closed.compareAndSet(false, true)) {
            outbox.abandon();
            try {
                connection.close();
            } catch (IOException e) {
                log.debug("{} close failed: {}", label, e.getClass().getSimpleName());
            }
        }
    }

    private void readRequests() throws IOException {
        LineReader reader = new LineReader(in, limits.maxFrameBytes());
        while (!closed.get()) {
            String line;
            try {
                line = reader.readLine();
            } catch (OversizedLineException e) {
                send(RpcJson.write(RpcJson.error(NullNode.instance, RpcErrorCode.INVALID_REQUEST,
                        e.getMessage(), null)));
                continue;
            }
            if (line == null) {
                return;
            }
            if (line.isBlank()) {
                continue;
            }
            inFlight.acquireUninterruptibly();
            Thread.ofVirtual().name(label + "-call").start(() -> {
                try {
                    dispatcher.handle(line, this).ifPresent(this::send);
                } finally {
                    inFlight.release();
                }
            });
        }
    }

    private void send(String frame) {
        if (!outbox.offer(frame)) {
            log.warn("{} fell {} lines behind; disconnecting it", label, limits.maxQueuedFrames());
            close();
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
