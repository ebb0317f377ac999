// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries a browser's TURN-over-TCP connections to a TURN server's TLS port ({@code turns:}),
 * checking the server's key against the descriptor's pins. A browser cannot pin a key and would
 * refuse the server's self-signed certificate, so it is given {@code turn:127.0.0.1:PORT?transport=tcp}
 * instead, and this bridge wraps what it sends in TLS: to a censor the call's media is one more TLS
 * connection to port 443.
 *
 * <p>Listens on loopback only; at most {@value #MAX_CONNECTIONS} connections at once (a call needs
 * one or two); each ends when either side closes.
 */
public final class TurnTlsBridge implements AutoCloseable {
    static final int MAX_CONNECTIONS = 16;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    private static final Logger log = LoggerFactory.getLogger(TurnTlsBridge.class);

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final SSLContext context;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);

    private TurnTlsBridge(ServerSocket listener, String host, int port, SSLContext context) {
        this.listener = listener;
        this.host = host;
        this.port = port;
        this.context = context;
    }

    /** Starts a bridge to the TLS port {@code host:port} whose key must match one of {@code pins}. */
    public static TurnTlsBridge start(String host, int port, List<byte[]> pins) throws IOException {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new PinnedTrustManager(pins)}, null);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS is not available: " + e.getMessage(), e);
        }
        ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        TurnTlsBridge bridge = new TurnTlsBridge(listener, host, port, context);
        Thread.ofVirtual().name("turn-bridge-accept").start(bridge::acceptLoop);
        return bridge;
    }

    /** The loopback port the browser connects to. */
    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket browser;
            try {
                browser = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (!slots.tryAcquire()) {
                closeQuietly(browser);
                continue;
            }
            Thread.ofVirtual().name("turn-bridge").start(() -> {
                try {
                    carry(browser);
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void carry(Socket browser) {
        try (browser; SSLSocket server = (SSLSocket) context.getSocketFactory().createSocket()) {
            server.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            server.startHandshake();
            Thread back = Thread.ofVirtual().name("turn-bridge-back").start(() -> pump(server, browser));
            pump(browser, server);
            back.join();
        } catch (IOException e) {
            // The exception's class only: its sentence may name the TURN server's address.
            log.warn("a call's TLS connection to the TURN server failed ({})", e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies until {@code from} ends, then closes {@code to} for writing (or wholly), so the other pump ends too. */
    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read; (read = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // One side went away; close both below.
        }
        closeQuietly(to);
        closeQuietly(from);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
