// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The interface-level suite every {@link MailboxStore} implementation must pass, run on every
 * {@link StorageKind}. Delivery depends on what it checks: a device's entries come back in the
 * order they were stored, with sequences that only grow, and an insert is all or nothing.
 */
// A hang guard, not a timing assertion: a store that deadlocks must fail the build instead of stalling it.
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public class MailboxStoreContractTest extends StoreContract {
    private static final long NOW = 1_700_000_000_000L;

    private MailboxStore store;
    private final UUID alice = UUID.randomUUID();
    private final UUID bob = UUID.randomUUID();

    @BeforeEach
    void openStore() throws Exception {
        store = storage.mailbox();
    }

    // ---- the per-device cap ----

    @Test
    void anInsertThatWouldOverfillAMailboxStoresNothing() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW)));

        assertThat(store.insert(List.of(entry(bob, 1, 3, NOW), entry(alice, 1, 4, NOW)), 2)).isFalse();
        assertThat(store.count(bob, 1)).as("all or nothing").isZero();
        assertThat(store.insert(List.of(entry(bob, 1, 5, NOW), entry(bob, 1, 6, NOW)), 2)).isTrue();
        assertThat(store.count(alice, 1)).isEqualTo(2);
        assertThat(store.count(bob, 1)).isEqualTo(2);
    }

    @Test
    void racingInsertsIntoANearlyFullMailboxNeverPassTheCap() throws Exception {
        int cap = 10;
        List<MailboxEntry> waiting = new ArrayList<>();
        for (int i = 0; i < cap - 3; i++) {
            waiting.add(entry(alice, 1, 1000 + i, NOW));
        }
        store.insert(waiting);
        AtomicInteger next = new AtomicInteger();

        List<Boolean> stored = Concurrently.run(16,
                () -> store.insert(List.of(entry(alice, 1, next.getAndIncrement(), NOW)), cap));

        assertThat(stored).filteredOn(b -> b).hasSize(3);
        assertThat(store.count(alice, 1)).isEqualTo(cap);
    }

    // ---- strangers' share of the cap ----

    @Test
    void strangersFillOnlyTheirShareAndTheRestStaysOpenToContacts() throws Exception {
        int cap = 4;
        int strangersShare = 2;
        assertThat(store.insert(List.of(stranger(alice, 1, 1, NOW), stranger(alice, 1, 2, NOW)), cap, strangersShare))
                .isTrue();

        assertThat(store.insert(List.of(stranger(alice, 1, 3, NOW)), cap, strangersShare)).as("a third stranger").isFalse();
        // All or nothing: a request that also goes to a mailbox with room stores nothing there either.
        assertThat(store.insert(List.of(stranger(bob, 1, 4, NOW), stranger(alice, 1, 5, NOW)), cap, strangersShare))
                .isFalse();
        assertThat(store.count(bob, 1)).isZero();
        // Another device of the same account has a share of its own.
        assertThat(store.insert(List.of(stranger(alice, 2, 6, NOW)), cap, strangersShare)).isTrue();

        assertThat(store.insert(List.of(entry(alice, 1, 7, NOW), entry(alice, 1, 8, NOW)), cap, strangersShare))
                .as("contacts fill the rest").isTrue();
        assertThat(store.insert(List.of(entry(alice, 1, 9, NOW)), cap, strangersShare)).as("the whole cap").isFalse();
        assertThat(store.fetch(alice, 1, 0, 10)).extracting(MailboxEntry::fromStranger)
                .containsExactly(true, true, false, false);

        // Acknowledging a stranger's message makes room for one more stranger.
        store.delete(alice, 1, guid(1));
        assertThat(store.insert(List.of(stranger(alice, 1, 10, NOW)), cap, strangersShare)).isTrue();
    }

    @Test
    void contactsCanFillTheWholeMailboxAndThenStrangersCannotSendEither() throws Exception {
        assertThat(store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW), entry(alice, 1, 3, NOW)), 3, 2))
                .isTrue();

        assertThat(store.insert(List.of(stranger(alice, 1, 4, NOW)), 3, 2)).isFalse();
        assertThat(store.count(alice, 1)).isEqualTo(3);
    }

    @Test
    void racingStrangersAndContactsNeverPassEitherCap() throws Exception {
        int cap = 10;
        int strangersShare = 4;
        store.insert(List.of(stranger(alice, 1, 1000, NOW), entry(alice, 1, 1001, NOW)));
        AtomicInteger next = new AtomicInteger();

        // 24 at once, half of them strangers, when 3 more strangers and 8 more messages in all fit.
        // Contacts are refused only by a full mailbox and 12 are more than fit, so it ends full.
        List<Boolean> stored = Concurrently.run(24, () -> {
            int n = next.getAndIncrement();
            return store.insert(List.of(n % 2 == 0 ? stranger(alice, 1, n, NOW) : entry(alice, 1, n, NOW)), cap,
                    strangersShare);
        });

        List<MailboxEntry> entries = store.fetch(alice, 1, 0, 100);
        assertThat(entries).hasSize(cap);
        assertThat(entries).filteredOn(MailboxEntry::fromStranger).hasSizeLessThanOrEqualTo(strangersShare);
        assertThat(entries).filteredOn(e -> !e.fromStranger()).hasSizeGreaterThanOrEqualTo(cap - strangersShare);
        assertThat(stored).filteredOn(b -> b).hasSize(cap - 2);
    }

    // ---- insert and fetch ----

    @Test
    void fetchReturnsEntriesInInsertionOrderWithIncreasingSequences() throws Exception {
        // Guids and timestamps fall while insertion goes on, so ordering by either would show up.
        store.insert(List.of(entry(alice, 1, 40, NOW + 4)));
        store.insert(List.of(entry(alice, 1, 30, NOW + 3), entry(alice, 1, 20, NOW + 2)));
        store.insert(List.of(entry(alice, 1, 10, NOW + 1)));

        List<MailboxEntry> fetched = store.fetch(alice, 1, 0, 100);

        assertThat(guids(fetched)).containsExactly(40, 30, 20, 10);
        // Delivery starts from sequence 0, so every assigned sequence must be above it.
        assertThat(fetched.getFirst().sequence()).isPositive();
        assertThat(fetched).extracting(MailboxEntry::sequence).isSorted().doesNotHaveDuplicates();
        MailboxEntry first = fetched.getFirst();
        assertThat(first.accountId()).isEqualTo(alice);
        assertThat(first.deviceId()).isEqualTo(1);
        assertThat(first.guid()).isEqualTo(guid(40));
        assertThat(first.envelope()).isEqualTo(envelope(40));
        assertThat(first.storedAtMillis()).isEqualTo(NOW + 4);
    }

    @Test
    void fetchStartsAfterTheGivenSequence() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW), entry(alice, 1, 3, NOW),
                entry(alice, 1, 4, NOW)));
        List<MailboxEntry> all = store.fetch(alice, 1, 0, 100);

        assertThat(guids(store.fetch(alice, 1, all.get(1).sequence(), 100))).containsExactly(3, 4);
        assertThat(store.fetch(alice, 1, all.get(3).sequence(), 100)).isEmpty();
    }

    @Test
    void fetchReturnsAtMostLimitEntriesAndPagesThroughInOrder() throws Exception {
        List<MailboxEntry> entries = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            entries.add(entry(alice, 1, i, NOW));
        }
        store.insert(entries);

        assertThat(guids(store.fetch(alice, 1, 0, 2))).containsExactly(1, 2);

        List<Integer> paged = new ArrayList<>();
        long after = 0;
        List<MailboxEntry> page;
        while (!(page = store.fetch(alice, 1, after, 2)).isEmpty()) {
            assertThat(page).hasSizeLessThanOrEqualTo(2);
            paged.addAll(guids(page));
            after = page.getLast().sequence();
        }
        assertThat(paged).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void mailboxesOfDevicesAndAccountsAreSeparate() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 2, 2, NOW), entry(bob, 1, 3, NOW),
                entry(alice, 1, 4, NOW)));

        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(1, 4);
        assertThat(guids(store.fetch(alice, 2, 0, 100))).containsExactly(2);
        assertThat(guids(store.fetch(bob, 1, 0, 100))).containsExactly(3);
        assertThat(store.fetch(bob, 2, 0, 100)).isEmpty();
        assertThat(store.count(alice, 1)).isEqualTo(2);
        assertThat(store.count(alice, 2)).isEqualTo(1);
        assertThat(store.count(bob, 1)).isEqualTo(1);
        assertThat(store.count(bob, 2)).isZero();

        // Another device cannot acknowledge an entry that is not its own.
        assertThat(store.delete(alice, 2, guid(1))).isFalse();
        assertThat(store.delete(bob, 1, guid(1))).isFalse();
        assertThat(store.count(alice, 1)).isEqualTo(2);
    }

    @Test
    void largestCountIsTheFullestOfTheNamedMailboxesOnly() throws Exception {
        UUID carol = UUID.randomUUID();
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW), entry(alice, 2, 3, NOW),
                entry(bob, 1, 4, NOW), entry(bob, 1, 5, NOW), entry(bob, 1, 6, NOW),
                entry(carol, 1, 7, NOW), entry(carol, 1, 8, NOW), entry(carol, 1, 9, NOW), entry(carol, 1, 10, NOW)));

        assertThat(store.largestCount(java.util.Map.of(alice, List.of(1, 2)))).isEqualTo(2);
        assertThat(store.largestCount(java.util.Map.of(alice, List.of(2), bob, List.of(1, 2)))).isEqualTo(3);
        // Carol's fuller mailbox is not named, nor is Bob's device 1.
        assertThat(store.largestCount(java.util.Map.of(alice, List.of(2), bob, List.of(2)))).isEqualTo(1);
        assertThat(store.largestCount(java.util.Map.of(UUID.randomUUID(), List.of(1), bob, List.of(2)))).isZero();
        assertThat(store.largestCount(java.util.Map.of())).isZero();
    }

    @Test
    void unknownMailboxIsEmpty() throws Exception {
        assertThat(store.fetch(UUID.randomUUID(), 1, 0, 100)).isEmpty();
        assertThat(store.count(UUID.randomUUID(), 1)).isZero();
        assertThat(store.delete(UUID.randomUUID(), 1, guid(1))).isFalse();
    }

    @Test
    void racingInsertsKeepEveryEntryAndEachSendersOrder() throws Exception {
        int threads = 16;
        int perThread = 10;
        AtomicInteger senders = new AtomicInteger();

        // Sender t stores guids t*1000, t*1000+1, ... one insert at a time.
        Concurrently.run(threads, () -> {
            int sender = senders.getAndIncrement();
            for (int i = 0; i < perThread; i++) {
                store.insert(List.of(entry(alice, 1, sender * 1000 + i, NOW)));
            }
            return null;
        });

        List<MailboxEntry> fetched = store.fetch(alice, 1, 0, 10_000);
        assertThat(fetched).extracting(MailboxEntry::sequence).isSorted().doesNotHaveDuplicates();
        List<Integer> guids = guids(fetched);
        assertThat(guids).hasSize(threads * perThread);
        for (int sender = 0; sender < threads; sender++) {
            int from = sender * 1000;
            assertThat(guids.stream().filter(g -> g / 1000 == from / 1000).toList())
                    .as("sender %d's entries in the order it stored them", sender)
                    .containsExactlyElementsOf(IntStream.range(from, from + perThread).boxed().toList());
        }
        assertThat(store.count(alice, 1)).isEqualTo(threads * perThread);
    }

    // ---- atomic insert ----

    @Test
    void insertWithADuplicateGuidFailsEntirely() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW)));

        // The duplicate is in the middle: an implementation that inserts row by row would keep 2.
        assertThatThrownBy(() -> store.insert(List.of(entry(alice, 1, 2, NOW), entry(bob, 1, 1, NOW),
                entry(alice, 1, 3, NOW)))).isInstanceOf(StoreException.class);

        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(1);
        assertThat(store.count(bob, 1)).isZero();
    }

    @Test
    void insertWithAGuidRepeatedInsideTheBatchFailsEntirely() throws Exception {
        assertThatThrownBy(() -> store.insert(List.of(entry(alice, 1, 5, NOW), entry(alice, 2, 6, NOW),
                entry(alice, 1, 5, NOW)))).isInstanceOf(StoreException.class);

        assertThat(store.count(alice, 1)).isZero();
        assertThat(store.count(alice, 2)).isZero();
        // The failed insert must leave the store usable and the guids free.
        store.insert(List.of(entry(alice, 1, 5, NOW), entry(alice, 2, 6, NOW)));
        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(5);
        assertThat(guids(store.fetch(alice, 2, 0, 100))).containsExactly(6);
    }

    // ---- delete ----

    @Test
    void deleteRemovesTheEntryOnceThenReportsFalse() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW), entry(alice, 1, 3, NOW)));

        assertThat(store.delete(alice, 1, guid(2))).isTrue();
        assertThat(store.delete(alice, 1, guid(2))).isFalse();

        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(1, 3);
        assertThat(store.count(alice, 1)).isEqualTo(2);
    }

    @Test
    void deletingSeveralAtOnceRemovesOnlyThatDevicesEntriesAndCountsWhatWasThere() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW), entry(alice, 1, 3, NOW),
                entry(alice, 2, 4, NOW), entry(bob, 1, 5, NOW)));

        // 4 and 5 belong to other mailboxes, 9 was never there: only 1 and 3 go.
        assertThat(store.delete(alice, 1, List.of(guid(1), guid(3), guid(4), guid(5), guid(9)))).isEqualTo(2);
        assertThat(store.delete(alice, 1, List.of(guid(1), guid(3)))).isZero();

        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(2);
        assertThat(guids(store.fetch(alice, 2, 0, 100))).containsExactly(4);
        assertThat(guids(store.fetch(bob, 1, 0, 100))).containsExactly(5);
    }

    @Test
    void sequencesKeepGrowingAfterTheNewestEntryIsDeleted() throws Exception {
        // A device that pushed up to the deleted entry's sequence must still see the next one.
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW)));
        long newest = store.fetch(alice, 1, 0, 100).getLast().sequence();
        assertThat(store.delete(alice, 1, guid(1))).isTrue();
        assertThat(store.delete(alice, 1, guid(2))).isTrue();

        store.insert(List.of(entry(alice, 1, 3, NOW)));

        assertThat(guids(store.fetch(alice, 1, newest, 100))).containsExactly(3);
    }

    @Test
    void deleteOlderThanRemovesOnlyEntriesStoredBeforeTheCutoff() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW - 2), entry(alice, 2, 2, NOW - 1), entry(bob, 1, 3, NOW),
                entry(bob, 1, 4, NOW + 1), entry(alice, 1, 5, NOW + 1)));

        assertThat(store.deleteOlderThan(NOW)).isEqualTo(2);

        assertThat(store.fetch(alice, 2, 0, 100)).isEmpty();
        // "Before" is strict: an entry stored exactly at the cutoff stays.
        assertThat(guids(store.fetch(bob, 1, 0, 100))).containsExactly(3, 4);
        assertThat(guids(store.fetch(alice, 1, 0, 100))).containsExactly(5);
        assertThat(store.deleteOlderThan(NOW)).isZero();
    }

    // ---- durability and failure ----

    @Test
    void entriesSurviveCloseAndReopenAndSequencesContinue() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW), entry(alice, 1, 2, NOW + 1)));
        long newest = store.fetch(alice, 1, 0, 100).getLast().sequence();
        assertThat(store.delete(alice, 1, guid(2))).isTrue();

        store = reopenStorage().mailbox();

        List<MailboxEntry> fetched = store.fetch(alice, 1, 0, 100);
        assertThat(guids(fetched)).containsExactly(1);
        assertThat(fetched.getFirst().envelope()).isEqualTo(envelope(1));
        store.insert(List.of(entry(alice, 1, 3, NOW)));
        assertThat(guids(store.fetch(alice, 1, newest, 100))).as("no sequence reused after a restart")
                .containsExactly(3);
    }

    @Test
    void aClosedStoreFailsWithStoreException() throws Exception {
        store.insert(List.of(entry(alice, 1, 1, NOW)));

        closeStorage();

        assertThatThrownBy(() -> store.fetch(alice, 1, 0, 100)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.count(alice, 1)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.insert(List.of(entry(alice, 1, 2, NOW)))).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.delete(alice, 1, guid(1))).isInstanceOf(StoreException.class);
    }

    // ---- helpers ----

    private static MailboxEntry entry(UUID account, int device, int guid, long storedAt) {
        return new MailboxEntry(0, account, device, guid(guid), envelope(guid), storedAt);
    }

    /** An entry sent without the recipient's access key. */
    private static MailboxEntry stranger(UUID account, int device, int guid, long storedAt) {
        return new MailboxEntry(0, account, device, guid(guid), envelope(guid), storedAt, true);
    }

    /** 16 bytes that carry {@code n}, so tests can name entries by number. */
    private static byte[] guid(int n) {
        return ByteBuffer.allocate(16).putLong(0x0123456789abcdefL).putLong(n).array();
    }

    private static byte[] envelope(int n) {
        return ("envelope " + n).getBytes(StandardCharsets.UTF_8);
    }

    private static List<Integer> guids(List<MailboxEntry> entries) {
        return entries.stream().map(e -> (int) ByteBuffer.wrap(e.guid()).getLong(8)).toList();
    }
}
