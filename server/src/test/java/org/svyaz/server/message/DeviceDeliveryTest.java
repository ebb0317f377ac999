// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/** Delivery rides out a storage that is away for a moment, without dropping the device's connection. */
class DeviceDeliveryTest {
    @TempDir
    Path temp;

    /** A real mailbox whose first reads fail, as a database restarting would make them. */
    private static final class FailingFirstReads implements MailboxStore {
        private final MailboxStore real;
        private final AtomicInteger failuresLeft;

        FailingFirstReads(MailboxStore real, int failures) {
            this.real = real;
            this.failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public boolean insert(List<MailboxEntry> entries, int maxEntriesPerDevice, int maxFromStrangersPerDevice)
                throws StoreException {
            return real.insert(entries, maxEntriesPerDevice, maxFromStrangersPerDevice);
        }

        @Override
        public List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit)
                throws StoreException {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new StoreException("database unavailable (test)", null);
            }
            return real.fetch(accountId, deviceId, afterSequence, limit);
        }

        @Override
        public boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException {
            return real.delete(accountId, deviceId, guid);
        }

        @Override
        public int count(UUID accountId, int deviceId) throws StoreException {
            return real.count(accountId, deviceId);
        }

        @Override
        public int deleteOlderThan(long cutoffMillis) throws StoreException {
            return real.deleteOlderThan(cutoffMillis);
        }
    }

    @Test
    void aFailedMailboxReadIsTriedAgainAndTheConnectionStays() throws Exception {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (EmbeddedStorage storage = EmbeddedStorage.open(Files.createDirectories(temp.resolve("data")))) {
            DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
            storage.mailbox().insert(List.of(new MailboxEntry(0, device.accountId(), 1, new byte[16], new byte[] {9},
                    System.currentTimeMillis())));
            List<String> pushes = new CopyOnWriteArrayList<>();
            AtomicInteger closes = new AtomicInteger();
            PushChannel channel = new PushChannel() {
                @Override
                public CompletableFuture<Response> push(String path, ByteString body) {
                    pushes.add(path);
                    return CompletableFuture.completedFuture(Response.newBuilder().setError(ErrorCode.OK).build());
                }

                @Override
                public boolean isOpen() {
                    return closes.get() == 0;
                }

                @Override
                public void close(int statusCode, String reason) {
                    closes.incrementAndGet();
                }
            };
            DeviceDelivery delivery = new DeviceDelivery(device, channel, new FailingFirstReads(storage.mailbox(), 2),
                    executor, new SimpleMeterRegistry().counter("delivered"));
            delivery.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> pushes.contains(ApiPaths.PUSH_MESSAGE));
            assertThat(closes.get()).as("the connection was not dropped").isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> storage.mailbox().count(device.accountId(), 1) == 0);
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * Pushes wait in the connection's buffer until a flush; a device answers only what reached it.
     * The delivery must flush before it waits for its window to reopen, or it waits forever.
     */
    @Test
    void pushesHeldForAFlushAreFlushedBeforeTheDeliveryWaitsForAcknowledgements() throws Exception {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (EmbeddedStorage storage = EmbeddedStorage.open(Files.createDirectories(temp.resolve("data")))) {
            DeviceAddress device = new DeviceAddress(UUID.randomUUID(), 1);
            int messages = 1_500;
            List<MailboxEntry> entries = new java.util.ArrayList<>();
            for (int i = 0; i < messages; i++) {
                byte[] guid = new byte[16];
                guid[0] = (byte) i;
                guid[1] = (byte) (i >> 8);
                entries.add(new MailboxEntry(0, device.accountId(), 1, guid, new byte[] {(byte) i},
                        System.currentTimeMillis()));
            }
            storage.mailbox().insert(entries);
            List<CompletableFuture<Response>> inBuffer = new CopyOnWriteArrayList<>();
            AtomicInteger answered = new AtomicInteger();
            AtomicInteger flushes = new AtomicInteger();
            PushChannel channel = new PushChannel() {
                @Override
                public CompletableFuture<Response> push(String path, ByteString body) {
                    CompletableFuture<Response> answer = pushLater(path, body);
                    flush();
                    return answer;
                }

                @Override
                public CompletableFuture<Response> pushLater(String path, ByteString body) {
                    CompletableFuture<Response> answer = new CompletableFuture<>();
                    if (path.equals(ApiPaths.PUSH_MESSAGE)) {
                        inBuffer.add(answer);
                    }
                    return answer;
                }

                @Override
                public void flush() {
                    flushes.incrementAndGet();
                    List<CompletableFuture<Response>> sent = List.copyOf(inBuffer);
                    inBuffer.removeAll(sent);
                    for (CompletableFuture<Response> answer : sent) {
                        answered.incrementAndGet();
                        answer.complete(Response.newBuilder().setError(ErrorCode.OK).build());
                    }
                }

                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void close(int statusCode, String reason) {}
            };
            DeviceDelivery delivery = new DeviceDelivery(device, channel, storage.mailbox(), executor,
                    new SimpleMeterRegistry().counter("delivered"));
            delivery.wake();

            await().atMost(Duration.ofSeconds(20)).until(() -> answered.get() == messages);
            await().atMost(Duration.ofSeconds(10)).until(() -> storage.mailbox().count(device.accountId(), 1) == 0);
            // Batched: far fewer flushes than pushes once the window has opened up.
            assertThat(flushes.get()).isLessThan(messages / 2);
        } finally {
            executor.shutdownNow();
        }
    }
}
