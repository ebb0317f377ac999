// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loopback TCP proxy in front of the server that can lose a device's acknowledgements: for the
 * next connection it forwards the client's first two TLS application-data records (the TLS 1.3
 * Finished and the WebSocket upgrade request) and silently drops everything the client sends after
 * that, while the server's pushes still reach the client. That is what the server sees when a
 * client dies after storing a message but before its ack left the machine.
 */
final class AckDroppingProxy implements AutoCloseable {
    private static final int TLS_APPLICATION_DATA = 23;

    private final ServerSocket listener;
    private final AtomicBoolean dropNextConnectionAfterUpgrade = new AtomicBoolean();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** Sockets whose bytes are swallowed from now on, as a censor that freezes a flow does. */
    private final java.util.Set<Socket> frozen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** With a positive value, each new connection freezes once this many bytes crossed it either way. */
    private volatile long freezeAfterBytes;
    /** Bytes per second each connection may carry each way; 0: as fast as they come. */
    private volatile int bytesPerSecondEach;
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger frozenByLimit = new java.util.concurrent.atomic.AtomicInteger();
    private volatile InetSocketAddress target;

    AckDroppingProxy() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** How many connections came in so far. */
    int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections that reached the byte limit of {@link #freezeEachConnectionAfter} and froze. */
    int connectionsFrozen() {
        return frozenByLimit.get();
    }

    /** Counts a connection once, when the bytes before this read were still under the limit. */
    private void countFreeze(long before, long limit) {
        if (before <= limit) {
            frozenByLimit.incrementAndGet();
        }
    }

    void forwardTo(InetSocketAddress server) {
        this.target = server;
    }

    void dropAcksOfNextConnection() {
        dropNextConnectionAfterUpgrade.set(true);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                accepted.incrementAndGet();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                boolean drop = dropNextConnectionAfterUpgrade.getAndSet(false);
                java.util.concurrent.atomic.AtomicLong carried = new java.util.concurrent.atomic.AtomicLong();
                long limit = freezeAfterBytes;
                int rate = bytesPerSecondEach;
                Thread.ofVirtual().start(() -> pumpClientToServer(client, server, drop, carried, limit, rate));
                Thread.ofVirtual().start(() -> pump(server, client, carried, limit, rate));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicLong carried, long limit, int rate) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[1024];
            int read;
            long start = System.nanoTime();
            long forwarded = 0;
            while ((read = in.read(buffer)) != -1) {
                forwarded += read;
                pace(start, forwarded, rate);
                long now = carried.addAndGet(read);
                if (limit > 0 && now > limit) {
                    countFreeze(now - read, limit);
                    frozen.add(to);
                    frozen.add(from);
                }
                if (!frozen.contains(to)) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // One side closed; the other pump notices on its own.
        } finally {
            closeQuietly(to);
        }
    }

    /** Forwards whole TLS records, counting application-data ones, and drops once two have passed. */
    private void pumpClientToServer(Socket client, Socket server, boolean dropAfterUpgrade,
                                    java.util.concurrent.atomic.AtomicLong carried, long limit, int rate) {
        try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
            int applicationRecords = 0;
            long start = System.nanoTime();
            long forwarded = 0;
            byte[] header = new byte[5];
            while (true) {
                if (in.readNBytes(header, 0, 5) < 5) {
                    return;
                }
                int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    return;
                }
                boolean application = (header[0] & 0xff) == TLS_APPLICATION_DATA;
                forwarded += 5 + length;
                pace(start, forwarded, rate);
                long now = carried.addAndGet(5 + length);
                if (limit > 0 && now > limit) {
                    countFreeze(now - 5 - length, limit);
                    frozen.add(client);
                    frozen.add(server);
                }
                if (frozen.contains(client) || dropAfterUpgrade && application && applicationRecords >= 2) {
                    continue; // lost on the way
                }
                if (application) {
                    applicationRecords++;
                }
                out.write(header);
                out.write(body);
                out.flush();
            }
        } catch (IOException ignored) {
            // Closed.
        } finally {
            closeQuietly(server);
        }
    }

    /** Waits until {@code forwarded} bytes since {@code start} keep to {@code rate} bytes a second (0: no wait). */
    private static void pace(long start, long forwarded, int rate) throws IOException {
        if (rate <= 0) {
            return;
        }
        long due = start + forwarded * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(java.time.Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    /**
     * Every open connection stops carrying bytes either way but stays open, as when a censor
     * freezes flows after so many bytes; new connections work.
     */
    void freezeConnections() {
        frozen.addAll(sockets);
    }

    /** From now on each new connection freezes once {@code bytes} crossed it, as a censor's connbytes rule does. */
    void freezeEachConnectionAfter(long bytes) {
        freezeAfterBytes = bytes;
    }

    /**
     * From now on each new connection carries at most {@code bytesPerSecond} each way, as a censor
     * that throttles flow by flow does: more flows get more through.
     */
    void throttleEachConnection(int bytesPerSecond) {
        bytesPerSecondEach = bytesPerSecond;
    }

    /** Cuts every open connection (as a censor's reset would) but keeps accepting new ones. */
    void dropConnections() {
        sockets.forEach(AckDroppingProxy::closeQuietly);
        sockets.clear();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(AckDroppingProxy::closeQuietly);
    }
}
