// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeliveryRegistry;
import org.svyaz.server.message.DeviceAddress;
import org.svyaz.server.message.DeviceDelivery;
import org.svyaz.server.message.PushChannel;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * Two nodes' presence over one real Redis (a redis-server of the test's own), with a real mailbox:
 * a message stored "on" one node reaches a device connected to the other, also while Redis is down.
 */
class RedisPresenceTest {
    @TempDir
    Path temp;

    private RedisProcess redis;
    private EmbeddedStorage storage;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final String prefix = "svyaz-test-" + UUID.randomUUID() + ":";

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start(temp.resolve("redis"));
        storage = EmbeddedStorage.open(java.nio.file.Files.createDirectories(temp.resolve("data")));
    }

    @AfterEach
    void stop() throws Exception {
        // The redis-server first: it outlives the JVM if left running.
        if (redis != null) {
            redis.close();
        }
        executor.shutdownNow();
        if (storage != null) {
            storage.close();
        }
    }

    /** What a device's connection was sent; answers every push with OK as a device would. */
    private static final class RecordingChannel implements PushChannel {
        final List<String> pushes = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Response> push(String path, ByteString body) {
            pushes.add(path);
            return CompletableFuture.completedFuture(Response.newBuilder().setError(ErrorCode.OK).build());
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close(int statusCode, String reason) {}

        long messages() {
            return pushes.stream().filter(ApiPaths.PUSH_MESSAGE::equals).count();
        }
    }

    private void store(DeviceAddress device) throws Exception {
        byte[] guid = new byte[16];
        new java.security.SecureRandom().nextBytes(guid);
        storage.mailbox().insert(List.of(new MailboxEntry(0, device.accountId(), device.deviceId(), guid,
                new byte[] {1, 2, 3}, System.currentTimeMillis())));
    }

    /** A device's connection to one node, as the server's session listener makes it. */
    private record Connection(RecordingChannel channel, DeliveryRegistry.Registration registration) {}

    private Connection connect(DeliveryRegistry node, DeviceAddress device) {
        RecordingChannel channel = new RecordingChannel();
        DeviceDelivery delivery = new DeviceDelivery(device, channel, storage.mailbox(), executor,
                new SimpleMeterRegistry().counter("delivered"));
        DeliveryRegistry.Registration registration = node.register(delivery);
        delivery.wake();
        return new Connection(channel, registration);
    }

    /** One server node's view: its connected devices, its Redis connection and its presence. */
    private record Node(DeliveryRegistry devices, RedisConnector redis, RedisPresence presence) implements AutoCloseable {
        @Override
        public void close() {
            presence.close();
            redis.close();
        }
    }

    private Node node() {
        ConnectedDevices local = new ConnectedDevices();
        RedisConnector connector = RedisConnector.connect(List.of(redis.uri()), false);
        RedisPresence presence = new RedisPresence(connector, local, prefix);
        return new Node(new DeliveryRegistry(local, presence), connector, presence);
    }

    @Test
    void aMessageStoredOnOneNodeWakesTheDeviceOnAnotherAndPresenceExpiresWithTheNode() throws Exception {
        try (Node a = node(); Node b = node()) {
            DeliveryRegistry nodeA = a.devices();
            DeliveryRegistry nodeB = b.devices();
            RedisConnector redisA = a.redis();
            RedisConnector redisB = b.redis();
            RedisPresence presenceA = a.presence();
            RedisPresence presenceB = b.presence();
            DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
            Connection onA = connect(nodeA, device);

            String key = prefix + "presence:" + device.accountId() + ":1";
            assertThat(redisB.commands().get(key)).isEqualTo(presenceA.nodeId());
            assertThat(redisB.commands().pttl(key)).isBetween(1L, RedisPresence.PRESENCE_TTL.toMillis());

            store(device);
            nodeB.wake(device.accountId(), device.deviceId()); // what MessageService on node B does
            await().atMost(Duration.ofSeconds(5)).until(() -> onA.channel().messages() == 1);

            // A device that moved to node B keeps B's entry when node A lets go of its old connection.
            Connection onB = connect(nodeB, device);
            assertThat(redisA.commands().get(key)).isEqualTo(presenceB.nodeId());
            onA.registration().close();
            assertThat(redisA.commands().get(key)).isEqualTo(presenceB.nodeId());
            onB.registration().close();
            assertThat(redisA.commands().get(key)).as("gone once nobody holds the device").isNull();
            assertThat(onB.channel().pushes).isNotEmpty();
        }
    }

    @Test
    void aWakeUpLostInABriefRedisRestartStillArrives() throws Exception {
        try (Node a = node(); Node b = node()) {
            DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
            RecordingChannel channel = connect(a.devices(), device).channel();
            await().atMost(Duration.ofSeconds(5)).until(() -> channel.pushes.contains(ApiPaths.PUSH_QUEUE_EMPTY));

            // Back before node A's heartbeat notices, and empty: node B's retried wake-up finds no
            // presence key, and node A's subscription missed whatever was published meanwhile.
            redis.kill();
            store(device);
            b.devices().wake(device.accountId(), device.deviceId());
            redis.start();
            await("delivered without waiting for a periodic refresh").atMost(Duration.ofSeconds(8))
                    .until(() -> channel.messages() == 1);
        }
    }

    @Test
    void whileRedisIsDownDevicesPollTheirMailboxesAndWakeUpsResumeWhenItIsBack() throws Exception {
        try (Node a = node(); Node b = node()) {
            DeliveryRegistry nodeA = a.devices();
            DeliveryRegistry nodeB = b.devices();
            RedisConnector redisA = a.redis();
            RedisConnector redisB = b.redis();
            RedisPresence presenceA = a.presence();
            RedisPresence presenceB = b.presence();
            DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
            RecordingChannel channel = connect(nodeA, device).channel();

            redis.kill();
            await().atMost(Duration.ofSeconds(10)).until(() -> !presenceA.healthy());
            store(device);
            nodeB.wake(device.accountId(), device.deviceId()); // lost: Redis is gone
            await("delivered by polling").atMost(Duration.ofSeconds(5)).until(() -> channel.messages() == 1);

            redis.start(); // empty: it kept nothing
            await().atMost(Duration.ofSeconds(20)).until(presenceA::healthy);
            await().atMost(Duration.ofSeconds(20)).until(presenceB::healthy);
            String key = prefix + "presence:" + device.accountId() + ":1";
            await("presence registered again").atMost(Duration.ofSeconds(5))
                    .until(() -> presenceA.nodeId().equals(redisB.commands().get(key)));
            store(device);
            nodeB.wake(device.accountId(), device.deviceId());
            await().atMost(Duration.ofSeconds(5)).until(() -> channel.messages() == 2);
        }
    }
}
