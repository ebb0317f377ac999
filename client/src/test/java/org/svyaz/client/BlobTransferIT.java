// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.SvyazServer;

/**
 * The server's attachment store over real TLS, as a client will use it: a 50 MiB blob uploaded in
 * pieces and read back with the same digest, an upload cut off halfway that resumes where it broke
 * off, and the refusals (no credentials, too large, wrong offset, bad id).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlobTransferIT {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path temp;

    @Test
    void fiftyMebibytesGoUpInPiecesAndComeBackWithTheSameDigest() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.91", Clock.systemUTC());
             HttpClient http = client(server)) {
            String auth = alice.credentials().toAuthorizationHeader();
            long total = 50 * MIB;
            URI blob = blobUri(server, newId());

            HttpResponse<Void> first = http.send(put(blob, auth, total, 0, 20 * MIB), HttpResponse.BodyHandlers.discarding());
            assertThat(first.statusCode()).isEqualTo(204);
            assertThat(first.headers().firstValueAsLong("Upload-Offset")).hasValue(20 * MIB);
            assertThat(offset(http, blob)).isEqualTo(20 * MIB);
            HttpResponse<Void> rest = http.send(put(blob, auth, total, 20 * MIB, total - 20 * MIB),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(rest.statusCode()).isEqualTo(201);

            HttpResponse<InputStream> download = http.send(HttpRequest.newBuilder(blob).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(download.headers().firstValueAsLong("Content-Length")).hasValue(total);
            assertThat(digest(download.body())).isEqualTo(digest(new PatternStream(0, total)));

            HttpResponse<InputStream> tail = http.send(HttpRequest.newBuilder(blob).header("Range", "bytes=" + (total - 1000) + "-")
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(tail.statusCode()).isEqualTo(206);
            assertThat(digest(tail.body())).isEqualTo(digest(new PatternStream(total - 1000, total)));

            // A piece: bytes N to M inclusive, as a client fetches over flows a censor freezes.
            HttpResponse<InputStream> piece = http.send(HttpRequest.newBuilder(blob).header("Range", "bytes=5000-17287")
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(piece.statusCode()).isEqualTo(206);
            assertThat(piece.headers().firstValue("Content-Range")).hasValue("bytes 5000-17287/" + total);
            assertThat(piece.headers().firstValueAsLong("Content-Length")).hasValue(12288);
            assertThat(digest(piece.body())).isEqualTo(digest(new PatternStream(5000, 17288)));
            HttpResponse<InputStream> pastTheEnd = http.send(HttpRequest.newBuilder(blob)
                    .header("Range", "bytes=" + (total - 10) + "-" + (total + 5000)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(pastTheEnd.statusCode()).isEqualTo(206);
            assertThat(pastTheEnd.headers().firstValue("Content-Range"))
                    .hasValue("bytes " + (total - 10) + "-" + (total - 1) + "/" + total);
            assertThat(digest(pastTheEnd.body())).isEqualTo(digest(new PatternStream(total - 10, total)));
            for (String unsatisfiable : List.of("bytes=20-10", "bytes=" + total + "-" + (total + 1), "bytes=-500")) {
                assertThat(http.send(HttpRequest.newBuilder(blob).header("Range", unsatisfiable).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode()).as(unsatisfiable).isEqualTo(416);
            }
            assertThat(Files.size(temp.resolve("server").resolve(SvyazServer.BLOB_DIRECTORY).resolve(idOf(blob))))
                    .isEqualTo(total);
        }
    }

    @Test
    void anUploadCutOffHalfwayResumesWhereItBrokeOff() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.92", Clock.systemUTC());
             HttpClient http = client(server)) {
            String auth = alice.credentials().toAuthorizationHeader();
            long total = 16 * MIB;
            URI blob = blobUri(server, newId());

            // The body fails after 6 MiB, as when the network drops: the client aborts the request.
            HttpRequest broken = HttpRequest.newBuilder(blob)
                    .header("Authorization", auth).header("Upload-Length", Long.toString(total)).header("Upload-Offset", "0")
                    .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new PatternStream(0, total, 6 * MIB)), total))
                    .build();
            try {
                http.send(broken, HttpResponse.BodyHandlers.discarding());
            } catch (IOException expected) {
                // the upload broke off
            }

            long stored = awaitStableOffset(http, blob);
            assertThat(stored).as("part of the first attempt was kept").isPositive().isLessThanOrEqualTo(6 * MIB);
            HttpResponse<Void> resumed = http.send(put(blob, auth, total, stored, total - stored),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(resumed.statusCode()).isEqualTo(201);
            HttpResponse<InputStream> download = http.send(HttpRequest.newBuilder(blob).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(digest(download.body())).isEqualTo(digest(new PatternStream(0, total)));
        }
    }

    @Test
    void refusalsAreTypedAndStoreNothing() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withBlobs(4 * MIB, Duration.ofDays(30)));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.93", Clock.systemUTC());
             HttpClient http = client(server)) {
            String auth = alice.credentials().toAuthorizationHeader();
            URI blob = blobUri(server, newId());

            assertThat(http.send(put(blob, null, MIB, 0, MIB), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("no credentials").isEqualTo(401);
            String wrong = new org.svyaz.protocol.DeviceCredentials(alice.accountId(), 1, new byte[32]).toAuthorizationHeader();
            assertThat(http.send(put(blob, wrong, MIB, 0, MIB), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("wrong password").isEqualTo(401);
            HttpResponse<String> tooLarge = http.send(put(blob, auth, 5 * MIB, 0, MIB), HttpResponse.BodyHandlers.ofString());
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(tooLarge.body()).contains(Long.toString(4 * MIB));
            assertThat(offsetStatus(http, blob)).as("nothing stored").isEqualTo(404);

            assertThat(http.send(put(blob, auth, 2 * MIB, 0, MIB), HttpResponse.BodyHandlers.discarding()).statusCode())
                    .isEqualTo(204);
            HttpResponse<String> conflict = http.send(put(blob, auth, 2 * MIB, 0, MIB), HttpResponse.BodyHandlers.ofString());
            assertThat(conflict.statusCode()).isEqualTo(409);
            assertThat(conflict.headers().firstValueAsLong("Upload-Offset")).hasValue(MIB);

            URI badId = URI.create(blob.toString().replace(idOf(blob), "..%2F..%2Fsvyaz.db"));
            assertThat(http.send(HttpRequest.newBuilder(badId).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(400);
            assertThat(http.send(HttpRequest.newBuilder(blob).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).as("an unfinished blob cannot be read").isEqualTo(404);
            // The WebSocket side is unaffected by all of the above.
            assertThat(alice.serverKeyCounts()).isNotNull();
        }
    }

    private static long awaitStableOffset(HttpClient http, URI blob) throws Exception {
        long previous = -1;
        for (int i = 0; i < 100; i++) {
            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(blob).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.discarding());
            long now = head.headers().firstValueAsLong("Upload-Offset").orElse(-1);
            if (head.statusCode() == 200 && now == previous) {
                return now;
            }
            previous = now;
            Thread.sleep(100);
        }
        throw new AssertionError("the stored size of the broken upload never settled");
    }

    private static long offset(HttpClient http, URI blob) throws Exception {
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(blob).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        return head.headers().firstValueAsLong("Upload-Offset").orElseThrow();
    }

    private static int offsetStatus(HttpClient http, URI blob) throws Exception {
        return http.send(HttpRequest.newBuilder(blob).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest put(URI blob, String auth, long total, long offset, long length) {
        HttpRequest.Builder request = HttpRequest.newBuilder(blob)
                .header("Upload-Length", Long.toString(total))
                .header("Upload-Offset", Long.toString(offset))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new PatternStream(offset, offset + length)), length));
        if (auth != null) {
            request.header("Authorization", auth);
        }
        return request.build();
    }

    private static HttpClient client(SvyazServer server) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        List<byte[]> pins = server.inviteLink().descriptor().getTlsKeyPinsList().stream().map(ByteString::toByteArray).toList();
        tls.init(null, new TrustManager[] {new PinnedTrustManager(pins)}, new SecureRandom());
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static URI blobUri(SvyazServer server, String id) {
        return URI.create("https://127.0.0.1:" + server.address().getPort() + ApiPaths.BLOBS + id);
    }

    private static String idOf(URI blob) {
        String path = blob.getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String newId() {
        byte[] id = new byte[32];
        new SecureRandom().nextBytes(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }

    private static byte[] digest(InputStream in) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) != -1) {
                sha.update(buffer, 0, read);
            }
        }
        return sha.digest();
    }

    /**
     * Bytes {@code from} to {@code to} of a long pseudo-random pattern, generated as read: no test
     * holds 50 MiB in memory either. With {@code failAfter}, reading fails after that many bytes.
     */
    private static final class PatternStream extends InputStream {
        private long position;
        private final long end;
        private final long failAt;

        PatternStream(long from, long to) {
            this(from, to, Long.MAX_VALUE);
        }

        PatternStream(long from, long to, long failAfter) {
            this.position = from;
            this.end = to;
            this.failAt = failAfter == Long.MAX_VALUE ? Long.MAX_VALUE : from + failAfter;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (position >= failAt) {
                throw new IOException("the network dropped (simulated)");
            }
            if (position >= end) {
                return -1;
            }
            int count = (int) Math.min(length, Math.min(end, failAt) - position);
            for (int i = 0; i < count; i++) {
                long p = position + i;
                buffer[offset + i] = (byte) ((p * 0x9E3779B97F4A7C15L) >>> 56);
            }
            position += count;
            return count;
        }
    }
}
