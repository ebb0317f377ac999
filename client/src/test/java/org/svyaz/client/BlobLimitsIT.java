// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.limits.RateLimit;

/**
 * The blob endpoints against one account or one connection that asks too much (issue #16 point 7):
 * pipelined downloads that are never read, uploads past the account's quota or rate.
 */
@Timeout(120)
class BlobLimitsIT {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path temp;

    @Test
    void pipelinedDownloadsThatAreNeverReadHoldOneFileOpenNotOneEach() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.95", Clock.systemUTC());
             HttpClient http = client(server)) {
            String id = newId();
            HttpResponse<String> stored = http.send(put(server, id, alice.credentials().toAuthorizationHeader(), MIB),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
            Path blobs = data.resolve(SvyazServer.BLOB_DIRECTORY).toRealPath();

            // Netty's HTTP codec closes a connection with more than 128 requests awaiting answers.
            int pipelined = 100;
            try (SSLSocket socket = socket(server)) {
                StringBuilder requests = new StringBuilder();
                for (int i = 0; i < pipelined; i++) {
                    requests.append("GET ").append(ApiPaths.BLOBS).append(id).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
                }
                OutputStream out = socket.getOutputStream();
                out.write(requests.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // Read a few answers slowly; the rest stay unread, as an attacker leaves them. Before,
                // every request had opened its file by now, each held until its answer was written.
                InputStream in = socket.getInputStream();
                int mostOpen = 0;
                for (int i = 0; i < 5; i++) {
                    assertThat(readResponse(in)).isEqualTo(MIB);
                    mostOpen = Math.max(mostOpen, openFilesUnder(blobs));
                }
                assertThat(mostOpen).as("blob files the server holds open for one connection").isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void uploadsPastTheAccountsQuotaAreRefusedAndOtherAccountsStillUpload() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                .withBlobs(2 * MIB, Duration.ofDays(30)).withBlobQuota(4 * MIB));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.96", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.97", Clock.systemUTC());
             HttpClient http = client(server)) {
            String auth = alice.credentials().toAuthorizationHeader();
            for (int i = 0; i < 2; i++) {
                assertThat(http.send(put(server, newId(), auth, 2 * MIB), HttpResponse.BodyHandlers.ofString())
                        .statusCode()).isEqualTo(201);
            }
            String refusedId = newId();
            HttpResponse<String> refused = http.send(put(server, refusedId, auth, 1024), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.body()).contains("quota").contains("4 MiB");
            assertThat(http.send(head(server, refusedId), HttpResponse.BodyHandlers.discarding()).statusCode())
                    .as("nothing stored").isEqualTo(404);

            // The quota is Alice's: Bob uploads.
            assertThat(http.send(put(server, newId(), bob.credentials().toAuthorizationHeader(), 2 * MIB),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        }
    }

    @Test
    void uploadsPastTheAccountsRateAreRefused() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.98", Clock.systemUTC());
             HttpClient http = client(server)) {
            String auth = alice.credentials().toAuthorizationHeader();
            // Two bytes of a two-byte blob, one at a time: each PUT costs an upload, and nothing completes (no fsync).
            String id = newId();
            HttpResponse<String> last = null;
            for (int i = 0; i <= 2 * RateLimit.BLOB_UPLOADS.burst() && (last == null || last.statusCode() != 429); i++) {
                // The first piece is stored (204); later ones start at the wrong offset (409). Both cost an upload.
                last = http.send(piece(server, id, auth), HttpResponse.BodyHandlers.ofString());
                assertThat(last.statusCode()).isIn(204, 409, 429);
            }
            assertThat(last.statusCode()).isEqualTo(429);
            assertThat(last.body()).contains("too many uploads");
        }
    }

    /** Blob files of {@code directory} this process holds open (the server runs in the test's JVM). */
    private static int openFilesUnder(Path directory) throws IOException {
        int open = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).startsWith(directory)) {
                        open++;
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        return open;
    }

    /** Reads one response with a Content-Length body; returns that length. */
    private static int readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed in the headers after " + head.size() + " bytes: " + head);
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        assertThat(headers).startsWith("HTTP/1.1 200");
        int length = -1;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        assertThat(in.readNBytes(length)).hasSize(length);
        return length;
    }

    private static SSLSocket socket(SvyazServer server) throws Exception {
        SSLSocket socket = (SSLSocket) tls(server).getSocketFactory().createSocket("127.0.0.1", server.address().getPort());
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return socket;
    }

    private static SSLContext tls(SvyazServer server) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        List<byte[]> pins = server.inviteLink().descriptor().getTlsKeyPinsList().stream().map(ByteString::toByteArray).toList();
        tls.init(null, new TrustManager[] {new PinnedTrustManager(pins)}, new SecureRandom());
        return tls;
    }

    private static HttpClient client(SvyazServer server) throws Exception {
        return HttpClient.newBuilder().sslContext(tls(server)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpRequest put(SvyazServer server, String id, String auth, int bytes) {
        return HttpRequest.newBuilder(uri(server, id))
                .header("Upload-Length", Integer.toString(bytes))
                .header("Upload-Offset", "0")
                .header("Authorization", auth)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes]))
                .build();
    }

    /** The first byte of a two-byte blob. */
    private static HttpRequest piece(SvyazServer server, String id, String auth) {
        return HttpRequest.newBuilder(uri(server, id))
                .header("Upload-Length", "2")
                .header("Upload-Offset", "0")
                .header("Authorization", auth)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1]))
                .build();
    }

    private static HttpRequest head(SvyazServer server, String id) {
        return HttpRequest.newBuilder(uri(server, id)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
    }

    private static URI uri(SvyazServer server, String id) {
        return URI.create("https://127.0.0.1:" + server.address().getPort() + ApiPaths.BLOBS + id);
    }

    private static String newId() {
        byte[] id = new byte[32];
        new SecureRandom().nextBytes(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }
}
