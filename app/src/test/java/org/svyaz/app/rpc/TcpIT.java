// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon on loopback TCP: calls, many connections, receive notifications, a taken port. */
// A blocked socket write or read must fail the test, never hang the build.
@Timeout(60)
class TcpIT {
    private final TestMethods methods = new TestMethods();
    private final ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_CONNECTION, () -> { });
    private final ByteArrayOutputStream announced = new ByteArrayOutputStream();
    private Daemon daemon;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        daemon = Daemon.start(DaemonConfig.none().withTcp(new ListenAddress("127.0.0.1", 0)), methods.table(hub), hub,
                new PrintStream(announced, true, StandardCharsets.UTF_8));
        address = daemon.tcpAddress().orElseThrow();
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void itSaysWhereItListensAndAnswersCalls() throws Exception {
        assertThat(address.getPort()).isPositive();
        assertThat(announced.toString(StandardCharsets.UTF_8)).contains("TCP 127.0.0.1:" + address.getPort());
        try (LineClient client = LineClient.tcp(address)) {
            client.send("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"a\"},\"id\":1},"
                    + "{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}]");
            client.send("{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}");
            client.send("{oops");
            // Lines run concurrently, so the two replies may come in either order.
            List<JsonNode> replies = List.of(client.readJson(), client.readJson());
            assertThat(replies).filteredOn(JsonNode::isArray).singleElement().satisfies(batch -> {
                assertThat(batch).hasSize(1);
                assertThat(batch.get(0).get("result").textValue()).isEqualTo("a");
            });
            assertThat(replies).filteredOn(JsonNode::isObject).singleElement().satisfies(error ->
                    assertThat(error.at("/error/code").intValue()).isEqualTo(RpcErrorCode.PARSE_ERROR));
            await().atMost(Duration.ofSeconds(10)).until(() -> methods.touched.get() == 2);
        }
    }

    @Test
    void fiftyConnectionsAreServedAtOnce() throws Exception {
        int connections = 50;
        methods.expectGathering(connections);
        List<LineClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                LineClient client = LineClient.tcp(address);
                clients.add(client);
                client.call(i, "gather", "{\"n\":" + i + "}");
            }
            for (int i = 0; i < connections; i++) {
                JsonNode reply = clients.get(i).readJson();
                assertThat(reply.get("id").intValue()).isEqualTo(i);
                assertThat(reply.get("result").intValue()).isEqualTo(i);
            }
        } finally {
            for (LineClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    void everyConnectionGetsIncomingMessages() throws Exception {
        try (LineClient a = LineClient.tcp(address); LineClient b = LineClient.tcp(address)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.attachedPeers() == 2);
            hub.publish("bob.02", ReceiveHubTest.envelope("over tcp"));

            for (LineClient client : List.of(a, b)) {
                assertThat(client.read()).isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":"
                        + "{\"envelope\":{\"body\":\"over tcp\"},\"account\":\"bob.02\"}}");
            }
        }
    }

    @Test
    void aTakenPortIsOneSentence() {
        ReceiveHub other = new ReceiveHub(ReceiveMode.ON_START, () -> { });
        ListenAddress taken = new ListenAddress("127.0.0.1", address.getPort());

        assertThatThrownBy(() -> Daemon.start(DaemonConfig.none().withTcp(taken), methods.table(other), other,
                UnixSocketIT.quiet())).isInstanceOf(DaemonStartException.class)
                .hasMessageStartingWith("cannot listen on TCP " + taken);
    }
}
