// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.MessagingIT.receiveAll;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/** Metrics on a loopback admin port, and logs and metrics that carry no personal data. */
class OperationsIT {
    @TempDir
    Path temp;

    @Test
    void adminPortRefusesNonLoopbackAddresses() {
        assertThatThrownBy(() -> TestServer.config(temp).withAdmin(Optional.of(new InetSocketAddress("0.0.0.0", 9464))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("loopback");
    }

    @Test
    void aConversationLeavesNoIdentitiesAddressesOrTextInLogsOrMetrics() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger svyaz = (Logger) LoggerFactory.getLogger("org.svyaz");
        Level previous = svyaz.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        // Everything our code logs, at every level; libraries at the level the launcher ships with.
        svyaz.setLevel(Level.TRACE);
        List<String> secrets = new ArrayList<>(List.of("127.0.0.1", "localhost", "zvezda", "kometa",
                "meet me at the old bridge at nine", "bring the documents", "Zvezda Petrovna"));
        String metrics;
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                .withAdmin(Optional.of(new InetSocketAddress("127.0.0.1", 0))))) {
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "zvezda.81", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "kometa.82", Clock.systemUTC())) {
                secrets.add(alice.accountId().toString());
                secrets.add(bob.accountId().toString());
                alice.setProfileName("Zvezda Petrovna");
                alice.send("kometa.82", "meet me at the old bridge at nine");
                assertThat(receiveAll(bob, 1)).hasSize(1);
                // Bob now holds Alice's profile key, so his reply is sealed: the logs of a sealed
                // conversation are checked too.
                assertThat(bob.send("zvezda.81", "bring the documents").sealed()).isTrue();
                assertThat(receiveAll(alice, 1)).hasSize(1);
                // Bob's device gets the delivery receipt Alice's receive sent for his reply.
                TestAccounts.receiveUntil(bob, m -> m.signal().isPresent());
                // Failures log too: wrong credentials for a real account, and an unknown recipient.
                assertThatThrownBy(() -> ServerConnection.connect(server.inviteLink(),
                        Optional.of(new DeviceCredentials(alice.accountId(), 1, new byte[32])),
                        push -> Response.getDefaultInstance(), java.time.Duration.ofSeconds(10)))
                        .isInstanceOf(ConnectionException.class);
                assertThatThrownBy(() -> alice.send("nikto.83", "x")).hasMessageContaining("nikto.83");
            }
            InetSocketAddress admin = server.adminAddress().orElseThrow();
            assertThat(admin.getAddress().isLoopbackAddress()).isTrue();
            metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin.getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } finally {
            root.detachAppender(captured);
            svyaz.setLevel(previous);
        }

        // Two messages and the delivery receipt each receive sent back.
        assertThat(metrics).contains("svyaz_messages_stored_total 4.0", "svyaz_messages_delivered_total 4.0",
                "svyaz_requests_total{outcome=\"OK\",path=\"/v1/messages/send\"}",
                "svyaz_requests_total{outcome=\"OK\",path=\"/v1/messages/send-sealed\"}", "svyaz_connections_devices");
        assertThat(captured.list).as("the capture works: start, refusal and stop are logged")
                .extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.startsWith("server started"))
                .anyMatch(m -> m.contains("wrong credentials"))
                .anyMatch(m -> m.equals("server stopped"));
        StringBuilder logs = new StringBuilder();
        for (ILoggingEvent event : captured.list) {
            logs.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                logs.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
            }
        }
        for (String secret : secrets) {
            assertThat(logs.toString()).as("logs must not contain %s", secret).doesNotContain(secret);
            assertThat(metrics).as("metrics must not contain %s", secret).doesNotContain(secret);
        }
    }
}
