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
    private volatile InetSocketAddress target;

    AckDroppingProxy() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
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
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                boolean drop = dropNextConnectionAfterUpgrade.getAndSet(false);
                Thread.ofVirtual().start(() -> pumpClientToServer(client, server, drop));
                Thread.ofVirtual().start(() -> pump(server, client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // One side closed; the other pump notices on its own.
        } finally {
            closeQuietly(to);
        }
    }

    /** Forwards whole TLS records, counting application-data ones, and drops once two have passed. */
    private static void pumpClientToServer(Socket client, Socket server, boolean dropAfterUpgrade) {
        try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
            int applicationRecords = 0;
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
                if (dropAfterUpgrade && application && applicationRecords >= 2) {
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

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
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
