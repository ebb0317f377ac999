// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.NetworkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.identity.ServerIdentity;

/** Clients recognise the server by the TLS key pinned in the invite link, nothing else. */
class PinningIT {
    @TempDir
    Path temp;

    @Test
    void aServerWithAnotherKeyAtTheLinksAddressIsRefused() throws Exception {
        Path realData = temp.resolve("real");
        try (SvyazServer real = TestServer.start(realData)) {
            real.close();
            // An impostor listens where the link points; the link (signed by the real server) pins the real key.
            try (SvyazServer impostor = TestServer.start(temp.resolve("impostor"))) {
                ServerDescriptor descriptor = real.inviteLink().descriptor().toBuilder()
                        .clearEndpoints()
                        .addEndpoints(Endpoint.newBuilder().setHost("127.0.0.1").setPort(impostor.address().getPort()))
                        .build();
                InviteLink pointingAtImpostor = InviteLink.sign(descriptor,
                        ServerIdentity.loadOrCreate(realData).identityKeyPair().getPrivate(), Optional.empty());

                assertThatThrownBy(() -> SvyazClient.register(temp.resolve("victim"), pointingAtImpostor, "vika.11",
                        Clock.systemUTC()))
                        .isInstanceOf(NetworkException.class)
                        .hasMessageContaining("pin");
                // The same link with the impostor's own pin works, which shows the pin alone made the difference.
                InviteLink impostorsOwn = impostor.inviteLink();
                try (SvyazClient client = SvyazClient.register(temp.resolve("other"), impostorsOwn, "vika.11",
                        Clock.systemUTC())) {
                    assertThat(client.username()).isEqualTo("vika.11");
                }
            }
        }
    }

    @Test
    void healthIsOnlyOnTheAdminPortAndTheKeysSurviveARestart() throws Exception {
        Path data = temp.resolve("server");
        InviteLink first;
        try (SvyazServer server = SvyazServer.start(TestServer.config(data)
                .withAdmin(Optional.of(new java.net.InetSocketAddress("127.0.0.1", 0))))) {
            first = server.inviteLink();
            // The public port answers /health exactly as any path it does not serve: a prober learns nothing.
            HttpClient http = RawSocket.client(server);
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.address().getPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.address().getPort() + "/no-such-page")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(unknown.statusCode()).isEqualTo(404);
            assertThat(health.body()).isEqualTo(unknown.body());
            assertThat(health.headers().map()).isEqualTo(unknown.headers().map());
            // The operator's health check is on the admin port (loopback only).
            HttpResponse<String> admin = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.adminAddress().orElseThrow().getPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(admin.statusCode()).isEqualTo(200);
            assertThat(admin.body()).isEqualTo("ok\n");
        }
        try (SvyazServer restarted = TestServer.start(data)) {
            assertThat(restarted.inviteLink().descriptor().getTlsKeyPinsList())
                    .isEqualTo(first.descriptor().getTlsKeyPinsList());
            assertThat(restarted.inviteLink().descriptor().getIdentityKey())
                    .isEqualTo(first.descriptor().getIdentityKey());
        }
    }
}
