// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Accepts connections on a bound UNIX or TCP server channel and serves each as a {@link LinePeer}. */
final class SocketListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketListener.class);
    /** After a failed accept (out of file descriptors, say), so the loop does not spin. */
    private static final long ACCEPT_RETRY_MILLIS = 100;

    private final String kind;
    private final ServerSocketChannel server;
    private final Runnable afterClose;
    private final RpcDispatcher dispatcher;
    private final ReceiveHub hub;
    private final PeerLimits limits;
    private final boolean takesNotifications;
    private final Set<LinePeer> peers = ConcurrentHashMap.newKeySet();
    private final AtomicLong counter = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param kind the label prefix of its peers: {@code unix} or {@code tcp}
     * @param afterClose runs after the channel closed (removes a socket file)
     * @param takesNotifications whether its connections get {@code receive} notifications
     */
    SocketListener(String kind, ServerSocketChannel server, Runnable afterClose,
            RpcDispatcher dispatcher, ReceiveHub hub, PeerLimits limits, boolean takesNotifications) {
        this.kind = kind;
        this.takesNotifications = takesNotifications;
        this.server = server;
        this.afterClose = afterClose;
        this.dispatcher = dispatcher;
        this.hub = hub;
        this.limits = limits;
    }

    void start() {
        Thread.ofVirtual().name(kind + "-accept").start(this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.warn("{} accept failed: {}", kind, e.getClass().getSimpleName());
                pause();
                continue;
            }
            LinePeer peer = new LinePeer(kind + "#" + counter.incrementAndGet(), ChannelStreams.in(channel),
                    ChannelStreams.out(channel), channel, dispatcher, hub, limits, takesNotifications);
            peers.add(peer);
            Thread.ofVirtual().name(peer.label()).start(() -> {
                try {
                    peer.run();
                } finally {
                    peers.remove(peer);
                }
            });
            if (closed) {
                peer.close();
            }
        }
    }

    /** Stops accepting and closes every connection; calls still running finish unheard. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("{} listener close failed: {}", kind, e.getClass().getSimpleName());
        }
        peers.forEach(LinePeer::close);
        afterClose.run();
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(ACCEPT_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
