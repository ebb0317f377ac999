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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * Carries a browser's TURN-over-TCP connections to a TURN server's TLS port ({@code turns:}),
 * checking the server's key against the descriptor's pins. A browser cannot pin a key and would
 * refuse the server's self-signed certificate, so it is given {@code turn:127.0.0.1:PORT?transport=tcp}
 * instead, and this bridge wraps what it sends in TLS: to a censor the call's media is one more TLS
 * connection to port 443. Where the TURN server's address is blocked too, the bridge goes through
 * a Svyaz relay that also forwards to it ({@code svyaz relay --turn-upstream}).
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
    private final Optional<RelayLink> relay;
    private final Optional<SSLContext> relayContext;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);

    private TurnTlsBridge(ServerSocket listener, String host, int port, SSLContext context, Optional<RelayLink> relay,
                          Optional<SSLContext> relayContext) {
        this.listener = listener;
        this.host = host;
        this.port = port;
        this.context = context;
        this.relay = relay;
        this.relayContext = relayContext;
    }

    /** Starts a bridge to the TLS port {@code host:port} whose key must match one of {@code pins}. */
    public static TurnTlsBridge start(String host, int port, List<byte[]> pins) throws IOException {
        return start(host, port, pins, Optional.empty());
    }

    /**
     * Starts a bridge to the TLS port {@code host:port} whose key must match one of {@code pins}, through
     * {@code relay} when given: TLS to the relay under its own name and key, its token, the byte that
     * asks for its TURN server ({@link RelayToken#TURN_TUNNEL}), then the pinned TLS inside.
     */
    public static TurnTlsBridge start(String host, int port, List<byte[]> pins, Optional<RelayLink> relay)
            throws IOException {
        SSLContext context = pinnedContext(pins);
        Optional<SSLContext> relayContext = relay.isEmpty() ? Optional.empty()
                : Optional.of(pinnedContext(List.of(relay.get().descriptor().getTlsKeyPin().toByteArray())));
        ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        TurnTlsBridge bridge = new TurnTlsBridge(listener, host, port, context, relay, relayContext);
        Thread.ofVirtual().name("turn-bridge-accept").start(bridge::acceptLoop);
        return bridge;
    }

    private static SSLContext pinnedContext(List<byte[]> pins) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new PinnedTrustManager(pins)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS is not available: " + e.getMessage(), e);
        }
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
        try (browser; SSLSocket server = connect()) {
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

    /** The pinned TLS connection to the TURN server, directly or through the relay, handshake done. */
    private SSLSocket connect() throws IOException {
        if (relay.isEmpty()) {
            SSLSocket server = (SSLSocket) context.getSocketFactory().createSocket();
            try {
                server.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
                server.startHandshake();
                return server;
            } catch (IOException e) {
                server.close();
                throw e;
            }
        }
        RelayDescriptor via = relay.get().descriptor();
        SSLSocket outer = (SSLSocket) relayContext.orElseThrow().getSocketFactory().createSocket();
        try {
            SSLParameters parameters = outer.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(via.getSni())));
            outer.setSSLParameters(parameters);
            outer.connect(new InetSocketAddress(via.getHost(), via.getPort()), CONNECT_TIMEOUT_MILLIS);
            outer.startHandshake();
            byte[] token = relay.get().token();
            byte[] opening = Arrays.copyOf(token, token.length + 1);
            opening[token.length] = RelayToken.TURN_TUNNEL;
            outer.getOutputStream().write(opening);
            outer.getOutputStream().flush();
            SSLSocket inner = (SSLSocket) context.getSocketFactory().createSocket(outer, host, port, true);
            inner.startHandshake();
            return inner;
        } catch (IOException e) {
            outer.close();
            throw e;
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
