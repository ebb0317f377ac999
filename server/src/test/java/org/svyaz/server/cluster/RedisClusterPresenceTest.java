// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeliveryRegistry;
import org.svyaz.server.message.DeviceAddress;
import org.svyaz.server.message.DeviceDelivery;
import org.svyaz.server.message.PushChannel;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * Presence, wake-ups and rate limits on a Redis Cluster (three masters with replicas, started by
 * the test), through the loss of one master.
 */
class RedisClusterPresenceTest {
    @TempDir
    Path temp;

    @Test
    void wakeUpsAndSharedLimitsWorkOnAClusterAndSurviveAKilledMaster() throws Exception {
        String prefix = "svyaz-test-" + UUID.randomUUID() + ":";
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (RedisClusterProcesses cluster = RedisClusterProcesses.start(temp.resolve("cluster"));
             EmbeddedStorage storage = EmbeddedStorage.open(Files.createDirectories(temp.resolve("data")));
             RedisConnector redisA = RedisConnector.connect(cluster.uris(), true);
             RedisConnector redisB = RedisConnector.connect(cluster.uris(), true)) {
            ConnectedDevices localA = new ConnectedDevices();
            ConnectedDevices localB = new ConnectedDevices();
            try (RedisPresence presenceA = new RedisPresence(redisA, localA, prefix);
                 RedisPresence presenceB = new RedisPresence(redisB, localB, prefix)) {
                DeliveryRegistry nodeA = new DeliveryRegistry(localA, presenceA);
                DeliveryRegistry nodeB = new DeliveryRegistry(localB, presenceB);
                // Many devices, so their presence keys spread over every master's slots.
                List<DeviceAddress> devices = new ArrayList<>();
                AtomicInteger pushed = new AtomicInteger();
                for (int i = 0; i < 30; i++) {
                    DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
                    devices.add(device);
                    DeviceDelivery delivery = new DeviceDelivery(device, countingChannel(pushed), storage.mailbox(),
                            executor, new SimpleMeterRegistry().counter("delivered"));
                    nodeA.register(delivery);
                }
                RedisRateLimiter limitA = new RedisRateLimiter(redisA, prefix, "send", 2, 0.001,
                        new LocalRateLimiter(2, 0.001, Clock.systemUTC()));
                RedisRateLimiter limitB = new RedisRateLimiter(redisB, prefix, "send", 2, 0.001,
                        new LocalRateLimiter(2, 0.001, Clock.systemUTC()));
                UUID sender = UUID.randomUUID();
                assertThat(List.of(limitA.tryAcquire(sender), limitB.tryAcquire(sender), limitA.tryAcquire(sender)))
                        .containsExactly(true, true, false);

                storeAndWakeFromB(storage, nodeB, devices);
                await().atMost(Duration.ofSeconds(10)).until(() -> pushed.get() == devices.size());

                cluster.aMaster().kill();
                // Whatever Redis could not do meanwhile, nothing is lost: every message arrives.
                storeAndWakeFromB(storage, nodeB, devices);
                await().atMost(Duration.ofSeconds(30)).until(() -> pushed.get() == 2 * devices.size());
                await().atMost(Duration.ofSeconds(30)).until(() -> presenceA.healthy() && presenceB.healthy());
                // Healthy presence does not mean each node's view of the slots is refreshed: until it is, a
                // node limits on its own for keys on the failed master's slots (three yeses). Shared limits
                // must come back, so wait for them, with a fresh key each time.
                await("limits are shared again after the failover").atMost(Duration.ofSeconds(30)).until(() -> {
                    UUID another = UUID.randomUUID();
                    return List.of(limitA.tryAcquire(another), limitB.tryAcquire(another), limitA.tryAcquire(another))
                            .equals(List.of(true, true, false));
                });
            }
        } finally {
            executor.shutdownNow();
        }
    }

    private static void storeAndWakeFromB(EmbeddedStorage storage, DeliveryRegistry nodeB, List<DeviceAddress> devices)
            throws Exception {
        for (DeviceAddress device : devices) {
            byte[] guid = new byte[16];
            new java.security.SecureRandom().nextBytes(guid);
            storage.mailbox().insert(List.of(new MailboxEntry(0, device.accountId(), device.deviceId(), guid,
                    new byte[] {7}, System.currentTimeMillis())));
            nodeB.wake(device.accountId(), device.deviceId());
        }
    }

    private static PushChannel countingChannel(AtomicInteger messages) {
        return new PushChannel() {
            @Override
            public CompletableFuture<Response> push(String path, ByteString body) {
                if (ApiPaths.PUSH_MESSAGE.equals(path)) {
                    messages.incrementAndGet();
                }
                return CompletableFuture.completedFuture(Response.newBuilder().setError(ErrorCode.OK).build());
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close(int statusCode, String reason) {}
        };
    }
}
