// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.PublicPreKey;

/**
 * What the contracts cannot see with one store object: two server nodes, each with its own pool,
 * writing the same database at once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class PostgresTwoNodesTest {
    private final PostgresTestDatabase database = PostgresTestDatabase.create();
    private PostgresStorage first;
    private PostgresStorage second;

    @BeforeEach
    void startNodes() throws Exception {
        first = PostgresStorage.open(database.settings(6));
        second = PostgresStorage.open(database.settings(6));
    }

    @AfterEach
    void stopNodes() throws Exception {
        for (PostgresStorage node : new PostgresStorage[] {first, second}) {
            if (node != null) {
                node.close();
            }
        }
        database.close();
    }

    /**
     * Delivery reads a device's mailbox with a cursor (the last sequence pushed). If an entry could
     * commit after a higher sequence had been read, the cursor would pass it and the device would not
     * get it until it reconnected. Senders on both nodes write to the device, most sends also to other
     * devices in either order (a group send); a reader follows with a cursor and must see every entry.
     */
    @Test
    void aCursorFollowingOneDeviceSeesEveryEntryWhileBothNodesInsert() throws Exception {
        UUID recipient = UUID.randomUUID();
        List<UUID> others = IntStream.range(0, 4).mapToObj(i -> UUID.randomUUID()).toList();
        int senders = 6;
        int sendsEach = 40;
        AtomicBoolean sending = new AtomicBoolean(true);
        Set<Long> seenGuids = Collections.synchronizedSet(new HashSet<>());
        List<Long> duplicates = Collections.synchronizedList(new ArrayList<>());

        ExecutorService pool = Executors.newFixedThreadPool(senders + 1);
        try {
            Future<?> reader = pool.submit(() -> {
                long cursor = 0;
                boolean lastRound = false;
                while (true) {
                    boolean wasSending = sending.get();
                    List<MailboxEntry> batch = first.mailbox().fetch(recipient, 1, cursor, 100);
                    for (MailboxEntry entry : batch) {
                        long guid = ByteBuffer.wrap(entry.guid()).getLong(8);
                        if (!seenGuids.add(guid)) {
                            duplicates.add(guid);
                        }
                        cursor = entry.sequence();
                    }
                    if (batch.isEmpty() && lastRound) {
                        return null;
                    }
                    lastRound = !wasSending; // one more empty read after the senders stopped
                }
            });
            List<Callable<Void>> sends = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                PostgresStorage node = s % 2 == 0 ? first : second;
                sends.add(() -> {
                    for (int i = 0; i < sendsEach; i++) {
                        long guid = sender * 1000L + i;
                        List<MailboxEntry> entries = new ArrayList<>();
                        entries.add(entry(recipient, guid));
                        if (i % 3 != 0) {
                            // A group send: other devices before or after the recipient.
                            UUID other = others.get((sender + i) % others.size());
                            entries.add(i % 2 == 0 ? entries.size() : 0, entry(other, 100_000 + guid));
                        }
                        node.mailbox().insert(entries);
                    }
                    return null;
                });
            }
            for (Future<Void> done : pool.invokeAll(sends)) {
                done.get();
            }
            sending.set(false);
            reader.get();
        } finally {
            pool.shutdownNow();
        }

        assertThat(duplicates).isEmpty();
        assertThat(seenGuids).as("entries the cursor saw").hasSize(senders * sendsEach);
        assertThat(first.mailbox().count(recipient, 1)).isEqualTo(senders * sendsEach);
    }

    @Test
    void bothNodesTakingKeysHandOutEachOnce() throws Exception {
        UUID account = UUID.randomUUID();
        int keys = KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE;
        assertThat(first.keys().addPreKeys(account, 1, IntStream.rangeClosed(1, keys)
                .mapToObj(id -> new PublicPreKey(id, new byte[] {(byte) id}, new byte[0])).toList())).isTrue();

        List<List<Integer>> taken = together(8, node -> {
            List<Integer> ids = new ArrayList<>();
            Optional<PublicPreKey> key;
            while ((key = node.keys().takePreKey(account, 1)).isPresent()) {
                ids.add(key.get().id());
            }
            return ids;
        });

        assertThat(taken.stream().flatMap(List::stream).toList())
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, keys).boxed().toList());
    }

    @Test
    void bothNodesRegisteringTheSameUsernamesGiveEachAccountItsOwn() throws Exception {
        int accounts = 12;
        List<byte[]> hashes = IntStream.range(0, accounts)
                .mapToObj(i -> ByteBuffer.allocate(32).putInt(0x7e57).putInt(i).array()).toList();

        List<CreateAccountResult> results = together(accounts, node -> node.accounts().create(
                new Account(UUID.randomUUID(), new byte[33], 1L), new Device(1, 1, new byte[16], new byte[32], 1L),
                hashes, null, 1L));

        assertThat(results).extracting(r -> ((CreateAccountResult.Created) r).usernameIndex())
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, accounts).boxed().toList());
    }

    private interface NodeCall<T> {
        T call(PostgresStorage node) throws Exception;
    }

    /** {@code threads} calls released together, alternating between the two nodes. */
    private <T> List<T> together(int threads, NodeCall<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                PostgresStorage node = i % 2 == 0 ? first : second;
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call(node);
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static MailboxEntry entry(UUID account, long guid) {
        return new MailboxEntry(0, account, 1, ByteBuffer.allocate(16).putLong(0x70).putLong(guid).array(),
                new byte[] {(byte) guid}, 1L);
    }
}
