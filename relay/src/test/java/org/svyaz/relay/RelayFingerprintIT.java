// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.math.BigInteger;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a censor's scanner sees of a relay without its secret (issue #16, point 2), over real TLS on
 * loopback: it must answer like nginx serving a site of its own, not like something every relay
 * shares.
 */
class RelayFingerprintIT {
    private static final String SITE = "<!DOCTYPE html><html><body><h1>Kotiki daily</h1></body></html>\n";
    private static final String NGINX_404 = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
            + "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

    @TempDir
    Path temp;

    private RelayServer start(String name, Optional<Path> site, InetSocketAddress upstream) throws Exception {
        return RelayServer.start(new RelayConfig(temp.resolve(name), new InetSocketAddress("127.0.0.1", 0), upstream,
                "kotiki-daily.example", site, 100, Duration.ofMinutes(2)));
    }

    @Test
    void itAnswersLikeNginxServingItsSite() throws Exception {
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), SITE);
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = start("relay", Optional.of(site), upstream.address())) {
            HttpClient browser = browser();
            URI base = URI.create("https://127.0.0.1:" + relay.address().getPort());
            HttpResponse<String> page = get(browser, base.resolve("/"));
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("server")).contains("nginx");
            // A query string is part of any site's traffic; it used to cost the connection.
            HttpResponse<String> withQuery = get(browser, base.resolve("/?x"));
            assertThat(withQuery.statusCode()).isEqualTo(200);
            assertThat(withQuery.body()).isEqualTo(SITE);
            assertThat(get(browser, base.resolve("/index.html?utm_source=feed&x=%00")).body()).isEqualTo(SITE);

            HttpResponse<String> missing = get(browser, base.resolve("/wp-login.php"));
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.headers().firstValue("server")).contains("nginx");
            assertThat(missing.headers().firstValue("content-type")).contains("text/html");
            assertThat(missing.body()).isEqualTo(NGINX_404);

            // A path the file system cannot name (NUL is no file name) is simply not found.
            assertThat(rawStatus(relay.address(), "GET /a%00b/\u0001 HTTP/1.1\r\nHost: x\r\n\r\n")).isIn("HTTP/1.1 404", "HTTP/1.1 400");
            assertThat(rawStatus(relay.address(), "GET /?x HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo("HTTP/1.1 200");
        }
    }

    /** The headers nginx sends with a static file, and what it does with conditional and range requests. */
    @Test
    void filesComeWithNginxsValidatorsAndRangesAndConditionalRequestsAreAnswered() throws Exception {
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), SITE);
        Files.setLastModifiedTime(site.resolve("index.html"),
                java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2026-03-02T08:09:10Z")));
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = start("relay", Optional.of(site), upstream.address())) {
            String page = rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            String etag = "\"" + Long.toHexString(java.time.Instant.parse("2026-03-02T08:09:10Z").getEpochSecond())
                    + "-" + Integer.toHexString(SITE.length()) + "\"";
            assertThat(headerNames(page)).containsExactly("Server", "Date", "Content-Type", "Content-Length",
                    "Last-Modified", "Connection", "ETag", "Accept-Ranges");
            assertThat(page).contains("Last-Modified: Mon, 02 Mar 2026 08:09:10 GMT\r\n")
                    .contains("ETag: " + etag + "\r\n").contains("Accept-Ranges: bytes\r\n")
                    .containsPattern("Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n");

            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag
                    + "\r\n\r\n")).startsWith("HTTP/1.1 304 Not Modified\r\n").doesNotContain("Kotiki");
            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\n"
                    + "If-Modified-Since: Mon, 02 Mar 2026 08:09:10 GMT\r\n\r\n")).startsWith("HTTP/1.1 304");
            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n\r\n"))
                    .startsWith("HTTP/1.1 200");

            String piece = rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=2-10\r\n\r\n");
            assertThat(piece).startsWith("HTTP/1.1 206 Partial Content\r\n")
                    .contains("Content-Range: bytes 2-10/" + SITE.length() + "\r\n")
                    .contains("Content-Length: 9\r\n").endsWith(SITE.substring(2, 11));
            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n\r\n"))
                    .endsWith(SITE.substring(SITE.length() - 5));
            String beyond = rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=9999-\r\n\r\n");
            assertThat(beyond).startsWith("HTTP/1.1 416 Requested Range Not Satisfiable\r\n")
                    .contains("Content-Range: bytes */" + SITE.length() + "\r\n")
                    .contains("<title>416 Requested Range Not Satisfiable</title>");
        }
    }

    /**
     * Several ranges at once come as nginx sends them: one multipart 206, its parts laid out byte
     * for byte as nginx lays them out. Before, the relay sent the whole file, as no nginx does.
     */
    @Test
    void severalRangesComeAsOneMultipartAnswerAsFromNginx() throws Exception {
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), SITE);
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = start("relay", Optional.of(site), upstream.address())) {
            String answer = rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1, 4-5\r\n\r\n");
            java.util.regex.Matcher boundary = java.util.regex.Pattern
                    .compile("Content-Type: multipart/byteranges; boundary=(\\d{20})\r\n").matcher(answer);
            assertThat(boundary.find()).as(answer).isTrue();
            String b = boundary.group(1);
            String body = "\r\n--" + b + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Range: bytes 0-1/" + SITE.length()
                    + "\r\n\r\n" + SITE.substring(0, 2)
                    + "\r\n--" + b + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Range: bytes 4-5/" + SITE.length()
                    + "\r\n\r\n" + SITE.substring(4, 6)
                    + "\r\n--" + b + "--\r\n";
            assertThat(answer).startsWith("HTTP/1.1 206 Partial Content\r\n")
                    .contains("Content-Length: " + body.length() + "\r\n").doesNotContain("Content-Range: bytes 0-1/"
                            + SITE.length() + "\r\nC").endsWith("\r\n\r\n" + body);
            // Ranges that together ask for more than the file get the whole file; a malformed one 416.
            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-40,0-50\r\n\r\n"))
                    .startsWith("HTTP/1.1 200 OK\r\n").endsWith(SITE);
            assertThat(rawResponse(relay.address(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=abc\r\n\r\n"))
                    .startsWith("HTTP/1.1 416");
        }
    }

    @Test
    void itNegotiatesByAlpnAsNginxWithHttp2Does() throws Exception {
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = start("relay", Optional.empty(), upstream.address())) {
            assertThat(negotiated(relay, "h2", "http/1.1")).as("a browser's offer").isEqualTo("h2");
            assertThat(negotiated(relay, "http/1.1")).as("HTTP/1.1 only").isEqualTo("http/1.1");
        }
    }

    /**
     * A browser that speaks HTTP/2 gets the site over HTTP/2, as from nginx: the page, nginx's
     * name, lower-case headers, its 404. Before, the relay offered only HTTP/1.1.
     */
    @Test
    void aBrowserGetsTheSiteOverHttp2() throws Exception {
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), SITE);
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = start("relay", Optional.of(site), upstream.address());
             java.net.http.HttpClient browser = java.net.http.HttpClient.newBuilder()
                     .sslContext(RelayServerIT.trustAll()).version(java.net.http.HttpClient.Version.HTTP_2).build()) {
            java.net.URI home = java.net.URI.create("https://127.0.0.1:" + relay.address().getPort() + "/");
            java.net.http.HttpResponse<String> page = browser.send(java.net.http.HttpRequest.newBuilder(home).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Kotiki");
            assertThat(page.headers().firstValue("server")).contains("nginx");
            assertThat(page.headers().map()).doesNotContainKey("connection").containsKeys("etag", "last-modified");
            java.net.http.HttpResponse<String> missing = browser.send(java.net.http.HttpRequest.newBuilder(
                    home.resolve("/nowhere")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("<center>nginx</center>");
        }
    }

    private static String negotiated(RelayServer relay, String... offered) throws Exception {
        try (SSLSocket socket = (SSLSocket) RelayServerIT.trustAll().getSocketFactory()
                .createSocket("127.0.0.1", relay.address().getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(offered);
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket.getApplicationProtocol();
        }
    }

    @Test
    void withoutASiteEachRelayShowsASiteOfItsOwnAndKeepsIt() throws Exception {
        String first;
        String second;
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer one = start("one", Optional.empty(), upstream.address());
             RelayServer two = start("two", Optional.empty(), upstream.address())) {
            first = get(browser(), URI.create("https://127.0.0.1:" + one.address().getPort() + "/")).body();
            second = get(browser(), URI.create("https://127.0.0.1:" + two.address().getPort() + "/")).body();
        }
        assertThat(first).startsWith("<!DOCTYPE html>").contains("<h1>").isNotEqualTo(second);
        assertThat(Files.readString(temp.resolve("one/site/index.html"))).isEqualTo(first);
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer again = start("one", Optional.empty(), upstream.address())) {
            assertThat(get(browser(), URI.create("https://127.0.0.1:" + again.address().getPort() + "/")).body())
                    .as("the same site after a restart").isEqualTo(first);
        }
    }

    @Test
    void aCertificateChainFromCertIsPresentedWhole() throws Exception {
        // A certificate authority and a certificate it signed for the relay's name, as in a fullchain.pem.
        KeyPair authorityKeys = keyPair();
        X509Certificate authority = certificate("CN=Test Authority R1", authorityKeys.getPublic(), "CN=Test Authority R1",
                authorityKeys.getPrivate(), true);
        KeyPair relayKeys = keyPair();
        X509Certificate leaf = certificate("CN=kotiki-daily.example", relayKeys.getPublic(), "CN=Test Authority R1",
                authorityKeys.getPrivate(), false);
        Path fullchain = temp.resolve("fullchain.pem");
        Files.writeString(fullchain, pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", authority.getEncoded()));
        Path key = temp.resolve("privkey.pem");
        Files.writeString(key, pem("PRIVATE KEY", relayKeys.getPrivate().getEncoded()));
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), upstream.address(), "kotiki-daily.example",
                     Optional.empty(), 100, Duration.ofMinutes(2), Optional.of(fullchain), Optional.of(key)));
             SSLSocket socket = RelayServerIT.connect(relay.address())) {
            assertThat(socket.getSession().getPeerCertificates()).containsExactly(leaf, authority);
        }
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, PublicKey key, String issuer, PrivateKey issuerKey,
                                               boolean authority) throws Exception {
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(90))), new X500Name(subject), key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static HttpClient browser() throws Exception {
        return HttpClient.newBuilder().sslContext(RelayServerIT.trustAll())
                .sslParameters(RelayServerIT.noHostnameCheck()).build();
    }

    private static HttpResponse<String> get(HttpClient browser, URI uri) throws Exception {
        return browser.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The whole response to one raw request (the relay closes after it: "Connection: close" is asked for). */
    private static String rawResponse(InetSocketAddress relay, String request) throws Exception {
        try (SSLSocket socket = RelayServerIT.connect(relay)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** The response's header names as sent (nginx capitalises them), in order. */
    private static java.util.List<String> headerNames(String response) {
        String head = response.substring(0, response.indexOf("\r\n\r\n"));
        return head.lines().skip(1).map(line -> line.substring(0, line.indexOf(':'))).toList();
    }

    /** The status line a raw request gets. */
    private static String rawStatus(InetSocketAddress relay, String request) throws Exception {
        try (SSLSocket socket = RelayServerIT.connect(relay)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
        }
    }
}
