// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.svyaz.client.Bytes;

/**
 * A loopback TCP proxy in front of a server that interferes the way censors do, for tests of what
 * the client and the probe make of it: it resets connections whose ClientHello names a server
 * (SNI filtering), freezes the server's direction of a connection after some bytes (as an
 * iptables {@code connbytes} rule does), or paces it to a low rate (a token-bucket shaper).
 */
public final class CensoringProxy implements AutoCloseable {
    private static final int TLS_RECORD_HEADER = 5;

    /** What the censor does to each connection. */
    public sealed interface Censorship {}

    /** Forwards the first {@code bytes} from the server, then nothing more, leaving the connection open. */
    public record FreezeAfter(int bytes) implements Censorship {}

    /**
     * Forwards the server's bytes at {@code bytesPerSecond} for all connections together, as a
     * shaper on the censor's link does for every flow to the server's address.
     */
    public record Throttle(int bytesPerSecond) implements Censorship {}

    /** Resets a connection whose first TLS record (the ClientHello) contains {@code name}. */
    public record ResetSni(String name) implements Censorship {}

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Censorship censorship;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** When the shared link is free again, for {@link Throttle}. */
    private long linkFreeAtNanos;

    public CensoringProxy(InetSocketAddress target, Censorship censorship) throws IOException {
        this.target = target;
        this.censorship = censorship;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(server);
                Thread.ofVirtual().start(() -> upstream(client, server));
                Thread.ofVirtual().start(() -> downstream(server, client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void upstream(Socket client, Socket server) {
        try {
            InputStream in = client.getInputStream();
            OutputStream out = server.getOutputStream();
            if (censorship instanceof ResetSni(String name)) {
                byte[] header = in.readNBytes(TLS_RECORD_HEADER);
                int length = header.length < TLS_RECORD_HEADER ? 0 : ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                byte[] body = in.readNBytes(length);
                if (Bytes.indexOf(body, name.getBytes(StandardCharsets.US_ASCII)) >= 0) {
                    client.setSoLinger(true, 0); // closing now sends a RST, as an injecting censor does
                    close(client);
                    close(server);
                    return;
                }
                out.write(header);
                out.write(body);
                out.flush();
            }
            in.transferTo(out);
        } catch (IOException ignored) {
            // One side closed; the other direction notices on its own.
        } finally {
            shutdownOutput(server);
        }
    }

    private void downstream(Socket server, Socket client) {
        try {
            InputStream in = server.getInputStream();
            OutputStream out = client.getOutputStream();
            switch (censorship) {
                case FreezeAfter(int limit) -> {
                    byte[] buffer = new byte[4096];
                    int forwarded = 0;
                    while (forwarded < limit) {
                        int n = in.read(buffer, 0, Math.min(buffer.length, limit - forwarded));
                        if (n < 0) {
                            break;
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                        forwarded += n;
                    }
                    return; // frozen: nothing more reaches the client, and nothing closes the connection
                }
                case Throttle(int rate) -> {
                    // Slices of a tenth of the rate, each sent when the shared link has had time for it.
                    byte[] slice = new byte[Math.max(1, rate / 10)];
                    int n;
                    while ((n = in.read(slice)) >= 0) {
                        Thread.sleep(java.time.Duration.ofNanos(reserve(n, rate)));
                        out.write(slice, 0, n);
                        out.flush();
                    }
                }
                case ResetSni ignored -> in.transferTo(out);
            }
            shutdownOutput(client);
        } catch (IOException ignored) {
            // One side closed.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Books {@code bytes} on the shared link and returns how long to wait before sending them. */
    private synchronized long reserve(int bytes, int rate) {
        long now = System.nanoTime();
        long start = Math.max(now, linkFreeAtNanos);
        linkFreeAtNanos = start + bytes * 1_000_000_000L / rate;
        return linkFreeAtNanos - now;
    }

    private static void shutdownOutput(Socket socket) {
        try {
            if (!socket.isClosed()) {
                socket.shutdownOutput();
            }
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(CensoringProxy::close);
    }
}
