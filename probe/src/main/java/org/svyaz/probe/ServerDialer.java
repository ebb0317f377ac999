// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import com.google.protobuf.ByteString;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * The probe's wire work, one blocking call per step: TCP, the TLS handshake pinned to the
 * descriptor's keys (under a chosen SNI), the relay's outer TLS and token, the WebSocket upgrade
 * and the timed download. Each call is bounded by the limit it is given.
 */
final class ServerDialer {
    private static final int MAX_HEADER_BYTES = 8 * 1024;

    private final List<byte[]> serverPins;

    ServerDialer(InviteLink link) {
        this(link.descriptor().getTlsKeyPinsList().stream().map(ByteString::toByteArray).toList());
    }

    ServerDialer(List<byte[]> serverPins) {
        this.serverPins = serverPins;
    }

    static CountingSocket connect(InetSocketAddress address, Duration limit) throws IOException {
        return connect(new CountingSocket(), address, limit);
    }

    static CountingSocket connect(CountingSocket socket, InetSocketAddress address, Duration limit) throws IOException {
        try {
            socket.connect(address, millis(limit));
            socket.setSoTimeout(millis(limit));
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * The pinned TLS handshake with the server over {@code under} (a TCP socket, or a relay's outer
     * TLS). Created with the peer's literal address, so the JDK adds no server name of its own;
     * {@code sni} is the only name the ClientHello carries.
     */
    SSLSocket serverTls(Socket under, int port, Optional<String> sni, Duration limit) throws IOException {
        // A context of its own for every handshake: one shared context would resume the session of an
        // earlier handshake with the same address, and JSSE then sends that session's server name
        // instead of sni, so a filtered name could pass as another (ServerDialerIT).
        return handshake(pinnedContext("TLSv1.3", serverPins), under, port, sni, limit);
    }

    /** The relay's own TLS under its innocuous name, pinned to its key, then the token that opens the tunnel. */
    static SSLSocket relayTls(Socket under, RelayDescriptor relay, Duration limit) throws IOException {
        SSLContext context = pinnedContext("TLS", List.of(relay.getTlsKeyPin().toByteArray()));
        return handshake(context, under, relay.getPort(), relay.getSni().isEmpty() ? Optional.empty()
                : Optional.of(relay.getSni()), limit);
    }

    static void sendToken(SSLSocket outer, byte[] token) throws IOException {
        OutputStream out = outer.getOutputStream();
        out.write(token);
        out.flush();
    }

    private static SSLSocket handshake(SSLContext context, Socket under, int port, Optional<String> sni,
                                       Duration limit) throws IOException {
        under.setSoTimeout(millis(limit));
        SSLSocket socket = (SSLSocket) context.getSocketFactory()
                .createSocket(under, under.getInetAddress().getHostAddress(), port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(sni.map(name -> List.<SNIServerName>of(new SNIHostName(name)))
                .orElse(List.of()));
        socket.setSSLParameters(parameters);
        try {
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Asks for the WebSocket upgrade without credentials and expects 101, as an anonymous client would get. */
    static String upgrade(SSLSocket socket, String host, Duration limit) throws IOException {
        socket.setSoTimeout(millis(limit));
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        send(socket, "GET " + ApiPaths.WEBSOCKET + " HTTP/1.1\r\n"
                + "Host: " + hostHeader(host) + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n");
        String status = readHead(socket.getInputStream()).lines().findFirst().orElse("").strip();
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new UnexpectedStatusException(statusCode(status), status);
        }
        return "WebSocket upgrade accepted";
    }

    /**
     * Downloads {@code bytes} from {@link ApiPaths#PROBE_DOWNLOAD} over {@code socket}, whose TCP
     * connection is {@code tcp}, for at most {@code limit}. Silence on the connection for
     * {@code stall} ends the transfer as stalled; at the end of {@code limit} a watchdog closes the
     * connection, since data trickling in below TLS never lets a read time out. Either way the
     * numbers so far are the result.
     */
    static Transfer download(SSLSocket socket, CountingSocket tcp, String host, int bytes, Duration limit,
                             Duration stall) throws IOException {
        long start = System.nanoTime();
        long end = start + limit.toNanos();
        socket.setSoTimeout(millis(stall));
        send(socket, "GET " + ApiPaths.PROBE_DOWNLOAD + "?bytes=" + bytes + " HTTP/1.1\r\n"
                + "Host: " + hostHeader(host) + "\r\nConnection: close\r\n\r\n");
        long before = tcp.received();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(limit);
                tcp.close();
            } catch (InterruptedException | IOException done) {
                // The transfer ended first.
            }
        });
        long data = 0;
        boolean stalled = false;
        try {
            InputStream in = socket.getInputStream();
            String status = readHead(in).lines().findFirst().orElse("").strip();
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new UnexpectedStatusException(statusCode(status), status);
            }
            byte[] buffer = new byte[16 * 1024];
            while (data < bytes) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new EOFException("the connection ended after " + data + " of " + bytes + " bytes");
                }
                data += n;
            }
        } catch (SocketTimeoutException e) {
            stalled = true; // silence on the connection itself, not merely an unfinished TLS record
        } catch (IOException e) {
            if (System.nanoTime() < end) {
                throw e;
            }
            // The watchdog closed the connection at the end of the limit: what arrived is the result.
        } finally {
            watchdog.interrupt();
        }
        long millis = Math.min(System.nanoTime(), end) - start;
        return new Transfer(bytes, tcp.received() - before, millis / 1_000_000, data >= bytes, stalled);
    }

    private static void send(SSLSocket socket, String request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The status line and headers, up to the blank line. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while (head.length() < MAX_HEADER_BYTES && (c = in.read()) != -1) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                return head.toString();
            }
        }
        if (head.isEmpty()) {
            throw new EOFException("the connection closed without an answer");
        }
        return head.toString();
    }

    private static int statusCode(String statusLine) {
        String[] parts = statusLine.split(" ");
        try {
            return parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String hostHeader(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static int millis(Duration duration) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
    }

    private static SSLContext pinnedContext(String protocol, List<byte[]> pins) {
        try {
            SSLContext context = SSLContext.getInstance(protocol);
            context.init(null, new TrustManager[] {new PinnedTrustManager(pins)}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(protocol + " is part of every JDK since 11", e);
        }
    }
}
