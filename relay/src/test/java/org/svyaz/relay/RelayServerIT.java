// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;

/**
 * The relay as a censor's probe and as a client see it, over real TLS on loopback: without the
 * secret it is an ordinary web site; with the token it splices the stream to its upstream
 * unread. The upstream here echoes bytes, so nothing but the relay is under test; that Svyaz
 * clients reach a real server through it is client's RelayIT.
 */
class RelayServerIT {
    private static final String SITE = "<!DOCTYPE html><html><body><h1>Kotiki daily</h1><p>Cats.</p></body></html>\n";
    private static final byte[] SERVER_IDENTITY_KEY = new byte[33];

    @TempDir
    Path temp;

    @Test
    void withoutTheSecretTheRelayIsAWebSite() throws Exception {
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), SITE);
        try (EchoServer upstream = new EchoServer();
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), upstream.address(), "kotiki-daily.example",
                     Optional.of(site), 100, Duration.ofMinutes(2)))) {
            // The same page a browser would get.
            HttpClient browser = HttpClient.newBuilder().sslContext(trustAll()).sslParameters(noHostnameCheck()).build();
            URI base = URI.create("https://127.0.0.1:" + relay.address().getPort());
            HttpResponse<String> page = browser.send(HttpRequest.newBuilder(base.resolve("/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).isEqualTo(SITE);
            assertThat(page.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
            assertThat(browser.send(HttpRequest.newBuilder(base.resolve("/wp-admin/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            assertThat(browser.send(HttpRequest.newBuilder(base.resolve("/../../etc/passwd")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);

            // A prober that sends a line of noise gets what a web server answers to a malformed request.
            byte[] noise = new byte[64];
            new SecureRandom().nextBytes(noise);
            StringBuilder line = new StringBuilder();
            for (byte b : noise) {
                line.append((char) ('a' + Math.floorMod(b, 26)));
            }
            assertThat(rawExchange(relay.address(), (line + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 12))
                    .startsWith("HTTP/1.1 400");
            assertThat(relay.tunnelsOpened()).isZero();
            assertThat(upstream.connectionsAccepted()).as("nothing reached the upstream").isZero();
        }
    }

    @Test
    void theTokenOpensATunnelToTheUpstreamAndAWrongOneGetsTheWebSite() throws Exception {
        try (EchoServer upstream = new EchoServer();
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), upstream.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            RelayLink link = relay.link("127.0.0.1", relay.address().getPort(), SERVER_IDENTITY_KEY);
            byte[] payload = "bytes the relay cannot read\n".getBytes(StandardCharsets.US_ASCII);

            try (SSLSocket socket = connect(relay.address())) {
                // The key the link pins is the one the relay presents.
                X509Certificate presented = (X509Certificate) socket.getSession().getPeerCertificates()[0];
                assertThat(MessageDigest.getInstance("SHA-256").digest(presented.getPublicKey().getEncoded()))
                        .isEqualTo(link.descriptor().getTlsKeyPin().toByteArray());
                OutputStream out = socket.getOutputStream();
                out.write(link.token());
                out.write(payload);
                out.flush();
                assertThat(socket.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
            }
            assertThat(relay.tunnelsOpened()).isEqualTo(1);
            assertThat(upstream.connectionsAccepted()).isEqualTo(1);

            // Another relay's secret: the bytes are not HTTP, so the web site says so.
            byte[] wrongToken = RelayToken.staticToken(new byte[RelayLink.SECRET_BYTES]);
            byte[] wrong = new byte[wrongToken.length + payload.length];
            System.arraycopy(wrongToken, 0, wrong, 0, wrongToken.length);
            System.arraycopy(payload, 0, wrong, wrongToken.length, payload.length);
            assertThat(rawExchange(relay.address(), wrong, 12)).startsWith("HTTP/1.1 400");
            assertThat(relay.tunnelsOpened()).isEqualTo(1);
            assertThat(upstream.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void aTokenTheServerGrantedOpensTheTunnelUntilItExpiresAndNotWhenForged() throws Exception {
        try (EchoServer upstream = new EchoServer();
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), upstream.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            RelayLink link = relay.link("127.0.0.1", relay.address().getPort(), SERVER_IDENTITY_KEY);
            // What the server computes from the relay's link when it grants a relay to an account.
            RelayToken tokens = new RelayToken(link.descriptor().getSecret().toByteArray());
            long now = System.currentTimeMillis() / 1000;
            byte[] tag = "account1".getBytes(StandardCharsets.US_ASCII);
            byte[] payload = "bytes the relay cannot read\n".getBytes(StandardCharsets.US_ASCII);

            try (SSLSocket socket = connect(relay.address())) {
                OutputStream out = socket.getOutputStream();
                out.write(tokens.grant(tag, now + 3600));
                out.write(payload);
                out.flush();
                assertThat(socket.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
            }
            assertThat(relay.tunnelsOpened()).isEqualTo(1);

            byte[] expired = tokens.grant(tag, now - RelayToken.CLOCK_SKEW_SECONDS - 60);
            byte[] forged = tokens.grant(tag, now + 3600);
            forged[RelayToken.PREFIX_BYTES + 4] ^= 1; // another account's tag under this account's MAC
            byte[] otherRelays = new RelayToken(new byte[RelayLink.SECRET_BYTES]).grant(tag, now + 3600);
            for (byte[] refused : new byte[][] {expired, forged, otherRelays}) {
                byte[] bytes = new byte[refused.length + payload.length];
                System.arraycopy(refused, 0, bytes, 0, refused.length);
                System.arraycopy(payload, 0, bytes, refused.length, payload.length);
                assertThat(rawExchange(relay.address(), bytes, 12)).startsWith("HTTP/1.1 400");
            }
            assertThat(relay.tunnelsOpened()).as("no refused token opened a tunnel").isEqualTo(1);
            assertThat(upstream.connectionsAccepted()).isEqualTo(1);
        }
    }

    /** Opens TLS to the relay, sends {@code bytes} and returns the first {@code length} bytes that come back. */
    private static String rawExchange(InetSocketAddress relay, byte[] bytes, int length) throws Exception {
        try (SSLSocket socket = connect(relay)) {
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
        }
    }

    static SSLSocket connect(InetSocketAddress relay) throws Exception {
        SSLSocket socket = (SSLSocket) trustAll().getSocketFactory().createSocket(relay.getHostString(), relay.getPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    /** A probe does not know the relay's key; it accepts whatever certificate it is shown. */
    static SSLContext trustAll() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        // Extended, so the JDK adds no hostname check of its own: a probe takes any certificate.
        context.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return context;
    }

    static SSLParameters noHostnameCheck() {
        SSLParameters parameters = new SSLParameters();
        parameters.setEndpointIdentificationAlgorithm(null);
        return parameters;
    }

    /** The relay's upstream: sends back every byte it gets, one connection at a time, on loopback. */
    static final class EchoServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final AtomicInteger accepted = new AtomicInteger();
        private final Thread acceptor;

        EchoServer() throws IOException {
            acceptor = Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket connection = socket.accept()) {
                        accepted.incrementAndGet();
                        connection.getInputStream().transferTo(connection.getOutputStream());
                    } catch (IOException e) {
                        // Closed by the test, or the relay hung up: wait for the next one.
                    }
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
        }

        int connectionsAccepted() {
            return accepted.get();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            acceptor.join(Duration.ofSeconds(10));
        }
    }
}
