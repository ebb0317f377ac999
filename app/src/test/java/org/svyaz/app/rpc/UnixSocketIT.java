// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon on a real UNIX socket: its file, concurrency on one connection, limits, disconnects. */
// A blocked socket write or read must fail the test, never hang the build.
@Timeout(60)
class UnixSocketIT {
    @TempDir
    Path temp;

    private final TestMethods methods = new TestMethods();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    @Test
    void theFolderIsCreatedOwnerOnlyTheSocketIsOwnerOnlyAndIsRemovedOnClose() throws Exception {
        Path socket = DaemonConfig.defaultSocketPath(Map.of("XDG_RUNTIME_DIR", temp.resolve("run").toString()), temp);
        ByteArrayOutputStream announced = new ByteArrayOutputStream();
        ReceiveHub hub = hub();
        Daemon daemon = Daemon.start(DaemonConfig.none().withSocket(socket), methods.table(hub), hub,
                new PrintStream(announced, true, StandardCharsets.UTF_8));

        assertThat(Files.getPosixFilePermissions(socket.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(announced.toString(StandardCharsets.UTF_8)).contains(socket.toString());
        assertThat(daemon.socketPath()).contains(socket);
        try (LineClient client = LineClient.unix(socket)) {
            client.call(1, "echo", "{\"text\":\"hi\"}");
            assertThat(client.readJson().get("result").textValue()).isEqualTo("hi");
        }
        daemon.close();

        assertThat(socket).doesNotExist();
        try (var files = Files.list(socket.getParent())) {
            assertThat(files).as("no staging folder is left behind").isEmpty();
        }
    }

    @Test
    void aSocketInAnOpenFolderIsStillOwnerOnly() throws Exception {
        Path open = Files.createDirectory(temp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path socket = open.resolve("daemon.sock");
        start(socket);

        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(open)).isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneRefused() throws Exception {
        Path socket = temp.resolve("socket");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket));
        dead.close();
        assertThat(socket).as("closing a UNIX server channel leaves its file").exists();

        start(socket);
        try (LineClient client = LineClient.unix(socket)) {
            client.call(1, "echo", "{\"text\":\"replaced\"}");
            assertThat(client.readJson().get("result").textValue()).isEqualTo("replaced");
        }

        ReceiveHub second = hub();
        assertThatThrownBy(() -> Daemon.start(DaemonConfig.none().withSocket(socket), methods.table(second), second,
                quiet())).isInstanceOf(DaemonStartException.class).hasMessage("a daemon already runs on " + socket);
        try (LineClient client = LineClient.unix(socket)) {
            client.call(2, "echo", "{\"text\":\"still the first\"}");
            assertThat(client.readJson().get("result").textValue()).isEqualTo("still the first");
        }
    }

    @Test
    void aFileThatIsNotASocketIsLeftAlone() throws Exception {
        Path file = Files.writeString(temp.resolve("socket"), "mine");
        ReceiveHub hub = hub();

        assertThatThrownBy(() -> Daemon.start(DaemonConfig.none().withSocket(file), methods.table(hub), hub, quiet()))
                .isInstanceOf(DaemonStartException.class).hasMessageContaining("not a socket");
        assertThat(file).hasContent("mine");
    }

    @Test
    void aThousandConcurrentCallsOnOneConnectionAreAllAnsweredWithTheirIds() throws Exception {
        Path socket = temp.resolve("socket");
        start(socket);
        int calls = 1_000;
        methods.expectGathering(calls);

        try (LineClient client = LineClient.unix(socket)) {
            for (int i = 0; i < calls; i++) {
                client.call("c" + i, "gather", "{\"n\":" + i + "}");
            }
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < calls; i++) {
                JsonNode reply = client.readJson();
                String id = reply.get("id").textValue();
                assertThat(reply.has("error")).as(reply.toString()).isFalse();
                assertThat(id).isEqualTo("c" + reply.get("result").intValue());
                answered.add(id);
            }
            assertThat(answered).hasSize(calls);
        }
    }

    @Test
    void fiftyConnectionsAreServedAtOnce() throws Exception {
        Path socket = temp.resolve("socket");
        start(socket);
        int connections = 50;
        methods.expectGathering(connections);

        List<LineClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                LineClient client = LineClient.unix(socket);
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
    void anOversizedLineIsRefusedNamingTheLimitAndTheConnectionGoesOn() throws Exception {
        Path socket = temp.resolve("socket");
        start(socket);

        try (LineClient client = LineClient.unix(socket)) {
            client.send("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"" + "x".repeat(1_100_000) + "\"},\"id\":1}");
            client.call(2, "echo", "{\"text\":\"after\"}");

            JsonNode refused = client.readJson();
            assertThat(refused.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_REQUEST);
            assertThat(refused.at("/error/message").textValue()).contains(String.valueOf(PeerLimits.DEFAULT.maxFrameBytes()));
            assertThat(client.readJson().get("result").textValue()).isEqualTo("after");
        }
    }

    @Test
    void aClientThatLeavesMidCallBreaksNothingAndTheCallCompletes() throws Exception {
        Path socket = temp.resolve("socket");
        ReceiveHub hub = start(socket);

        try (LineClient leaving = LineClient.unix(socket)) {
            leaving.call(1, "hold", "{}");
            await().atMost(Duration.ofSeconds(10)).until(() -> methods.heldStarted.get() == 1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.attachedPeers() == 0);
        try (LineClient staying = LineClient.unix(socket)) {
            staying.call(2, "echo", "{\"text\":\"fine\"}");
            assertThat(staying.readJson().get("result").textValue()).isEqualTo("fine");

            methods.releaseHeld();
            await().atMost(Duration.ofSeconds(10)).until(() -> methods.heldCompleted.get() == 1);
            staying.call(3, "echo", "{\"text\":\"still fine\"}");
            assertThat(staying.readJson().get("result").textValue()).isEqualTo("still fine");
        }
    }

    @Test
    void aConnectionRunsAtMostItsInFlightLimitAtOnce() throws Exception {
        Path socket = temp.resolve("socket");
        start(socket, new PeerLimits(1 << 20, 2, 100));

        try (LineClient client = LineClient.unix(socket)) {
            for (int i = 0; i < 3; i++) {
                client.call(i, "hold", "{}");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> methods.heldStarted.get() == 2);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> methods.heldStarted.get() == 2);

            methods.releaseHeld();
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                ids.add(client.readJson().get("id").intValue());
            }
            assertThat(ids).containsExactlyInAnyOrder(0, 1, 2);
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedWithoutHoldingBackTheOthers() throws Exception {
        Path socket = temp.resolve("socket");
        ReceiveHub hub = start(socket, new PeerLimits(1 << 20, 16, 50));
        String body = "y".repeat(2_000);

        try (LineClient stuck = LineClient.unix(socket); LineClient reading = LineClient.unix(socket)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.attachedPeers() == 2);
            int published = 1_000;
            for (int i = 0; i < published; i++) {
                hub.publish("alice.01", ReceiveHubTest.envelope(body + i));
                JsonNode received = reading.readJson();
                assertThat(received.at("/params/envelope/body").textValue()).isEqualTo(body + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.attachedPeers() == 1);
            assertThat(stuck.drainUntilClosed()).isLessThan(published);
        }
    }

    @Test
    void connectionsGetMessagesAutomaticallyOrAfterSubscribing() throws Exception {
        Path automaticSocket = temp.resolve("automatic");
        ReceiveHub automatic = start(automaticSocket);
        try (LineClient a = LineClient.unix(automaticSocket); LineClient b = LineClient.unix(automaticSocket)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> automatic.attachedPeers() == 2);
            automatic.publish("alice.01", ReceiveHubTest.envelope("to all"));
            for (LineClient client : List.of(a, b)) {
                JsonNode notification = client.readJson();
                assertThat(notification.get("method").textValue()).isEqualTo("receive");
                assertThat(notification.has("id")).isFalse();
                assertThat(notification.at("/params/envelope/body").textValue()).isEqualTo("to all");
                assertThat(notification.at("/params/account").textValue()).isEqualTo("alice.01");
            }
        }

        Path manualSocket = temp.resolve("manual");
        ReceiveHub manual = new ReceiveHub(ReceiveMode.MANUAL, () -> { });
        toClose.add(Daemon.start(DaemonConfig.none().withSocket(manualSocket), methods.table(manual), manual, quiet()));
        try (LineClient subscriber = LineClient.unix(manualSocket); LineClient bystander = LineClient.unix(manualSocket)) {
            subscriber.send("{\"jsonrpc\":\"2.0\",\"id\":\"id\",\"method\":\"subscribeReceive\"}");
            assertThat(subscriber.read()).isEqualTo("{\"jsonrpc\":\"2.0\",\"result\":0,\"id\":\"id\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> manual.attachedPeers() == 2);

            manual.publish("alice.01", ReceiveHubTest.envelope("subscribed"));
            assertThat(subscriber.read()).isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":{\"subscription\":0,"
                    + "\"result\":{\"envelope\":{\"body\":\"subscribed\"},\"account\":\"alice.01\"}}}");
            bystander.call(1, "echo", "{\"text\":\"nothing before me\"}");
            assertThat(bystander.readJson().get("result").textValue()).isEqualTo("nothing before me");

            subscriber.call(2, "unsubscribeReceive", "{\"subscription\":0}");
            assertThat(subscriber.readJson().get("id").intValue()).isEqualTo(2);
            manual.publish("alice.01", ReceiveHubTest.envelope("after unsubscribing"));
            subscriber.call(3, "echo", "{\"text\":\"nothing before me either\"}");
            assertThat(subscriber.readJson().get("result").textValue()).isEqualTo("nothing before me either");
            subscriber.call(4, "unsubscribeReceive", "{\"subscription\":0}");
            assertThat(subscriber.readJson().at("/error/code").intValue()).isEqualTo(RpcErrorCode.USER_ERROR);
        }
    }

    private ReceiveHub start(Path socket) throws DaemonStartException {
        return start(socket, PeerLimits.DEFAULT);
    }

    private ReceiveHub start(Path socket, PeerLimits limits) throws DaemonStartException {
        ReceiveHub hub = hub();
        toClose.add(Daemon.start(DaemonConfig.none().withSocket(socket).withLimits(limits), methods.table(hub), hub, quiet()));
        return hub;
    }

    private static ReceiveHub hub() {
        return new ReceiveHub(ReceiveMode.ON_START, () -> { });
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
