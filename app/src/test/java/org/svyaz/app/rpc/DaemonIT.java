// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every listener in one daemon, one hub for all of them, and a close that ends everything. */
// A blocked socket write or read must fail the test, never hang the build.
@Timeout(60)
class DaemonIT {
    @TempDir
    Path temp;

    private final TestMethods methods = new TestMethods();
    private final ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });

    @Test
    void socketTcpAndHttpServeTogetherAndCloseTogether() throws Exception {
        Path socket = temp.resolve("socket");
        ByteArrayOutputStream announced = new ByteArrayOutputStream();
        DaemonConfig config = DaemonConfig.none().withSocket(socket).withTcp(new ListenAddress("127.0.0.1", 0))
                .withHttp(new ListenAddress("127.0.0.1", 0));
        Daemon daemon = Daemon.start(config, methods.table(hub), hub, new PrintStream(announced, true, StandardCharsets.UTF_8));
        int httpPort = daemon.httpAddress().orElseThrow().getPort();

        assertThat(announced.toString(StandardCharsets.UTF_8)).contains("UNIX socket " + socket)
                .contains("TCP 127.0.0.1:" + daemon.tcpAddress().orElseThrow().getPort())
                .contains("HTTP http://127.0.0.1:" + httpPort + "/api/v1/rpc");
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                LineClient unix = LineClient.unix(socket);
                LineClient tcp = LineClient.tcp(daemon.tcpAddress().orElseThrow())) {
            unix.call(1, "echo", "{\"text\":\"unix\"}");
            tcp.call(2, "echo", "{\"text\":\"tcp\"}");
            assertThat(unix.readJson().get("result").textValue()).isEqualTo("unix");
            assertThat(tcp.readJson().get("result").textValue()).isEqualTo("tcp");
            HttpResponse<InputStream> events = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/api/v1/events")).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            CompletableFuture<byte[]> streamed = CompletableFuture.supplyAsync(() -> readAll(events.body()));

            hub.publish("alice.01", ReceiveHubTest.envelope("everywhere"));
            assertThat(unix.readJson().at("/params/envelope/body").textValue()).isEqualTo("everywhere");
            assertThat(tcp.readJson().at("/params/envelope/body").textValue()).isEqualTo("everywhere");
            daemon.close();

            assertThat(new String(streamed.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                    .as("closing the daemon ends its event streams").contains("\"everywhere\"");
            assertThat(unix.drainUntilClosed()).isZero();
            assertThat(tcp.drainUntilClosed()).isZero();
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void aTokenFileWithoutHttpIsAMistake() {
        DaemonConfig config = DaemonConfig.none().withTcp(new ListenAddress("127.0.0.1", 0))
                .withHttpTokenFile(temp.resolve("token"));

        assertThatThrownBy(() -> Daemon.start(config, methods.table(hub), hub, UnixSocketIT.quiet()))
                .isInstanceOf(DaemonStartException.class).hasMessage("--http-token-file needs --http");
    }

    @Test
    void aFailedListenerClosesTheOnesAlreadyOpen() throws Exception {
        Path socket = temp.resolve("socket");
        DaemonConfig config = DaemonConfig.none().withSocket(socket).withHttp(new ListenAddress("127.0.0.1", 0))
                .withHttpTokenFile(temp.resolve("missing-token"));

        assertThatThrownBy(() -> Daemon.start(config, methods.table(hub), hub, UnixSocketIT.quiet()))
                .isInstanceOf(DaemonStartException.class).hasMessageContaining("missing-token");
        assertThat(socket).doesNotExist();
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
