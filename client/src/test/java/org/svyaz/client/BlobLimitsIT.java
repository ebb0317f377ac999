// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.limits.RateLimit;

/**
 * The blob endpoints against one account that uploads too much (issue #16 point 7): uploads past
 * the account's quota or rate.
 */
@Timeout(120)
class BlobLimitsIT {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path temp;

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
