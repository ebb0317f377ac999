// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The interface-level suite every {@link KeyStore} implementation must pass, run on every
 * {@link StorageKind}. Its core is that a one-time key is handed out at most once, also when many
 * senders ask for the same device's keys at the same moment.
 */
// A hang guard, not a timing assertion: a store that deadlocks must fail the build instead of stalling it.
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public class KeyStoreContractTest extends StoreContract {
    private static final int DEVICE = 1;

    private KeyStore store;
    private final UUID account = UUID.randomUUID();

    @BeforeEach
    void openStore() throws Exception {
        store = storage.keys();
    }

    // ---- signed prekey and last resort ----

    @Test
    void deleteAllRemovesEveryKeyOfEveryDeviceOfTheAccountOnly() throws Exception {
        UUID other = UUID.randomUUID();
        for (int device : new int[] {DEVICE, DEVICE + 1}) {
            store.setSignedPreKey(account, device, key(1, 10, 11));
            store.setKyberLastResort(account, device, key(2, 12, 13));
            store.addPreKeys(account, device, List.of(key(3, 14, 0)));
            store.addKyberPreKeys(account, device, List.of(key(4, 15, 16)));
        }
        store.addPreKeys(other, DEVICE, List.of(key(5, 17, 0)));

        store.deleteAll(account);

        for (int device : new int[] {DEVICE, DEVICE + 1}) {
            assertThat(store.signedPreKey(account, device)).isEmpty();
            assertThat(store.takeKyberPreKey(account, device)).isEmpty();
            assertThat(store.takePreKey(account, device)).isEmpty();
        }
        assertThat(store.count(other, DEVICE).preKeys()).as("another account's keys stay").isEqualTo(1);
    }

    @Test
    void signedPreKeyIsStoredAndReplaced() throws Exception {
        assertThat(store.signedPreKey(account, DEVICE)).isEmpty();

        store.setSignedPreKey(account, DEVICE, key(1, 10, 11));
        assertKey(store.signedPreKey(account, DEVICE), key(1, 10, 11));

        store.setSignedPreKey(account, DEVICE, key(2, 20, 21));
        assertKey(store.signedPreKey(account, DEVICE), key(2, 20, 21));
    }

    @Test
    void kyberFallsBackToTheLastResortKeyWithoutRemovingIt() throws Exception {
        store.setKyberLastResort(account, DEVICE, key(900, 90, 91));
        store.addKyberPreKeys(account, DEVICE, List.of(key(1, 1, 2)));

        assertKey(store.takeKyberPreKey(account, DEVICE), key(1, 1, 2));
        // The pool is empty now: the last-resort key every time, and it stays.
        assertKey(store.takeKyberPreKey(account, DEVICE), key(900, 90, 91));
        assertKey(store.takeKyberPreKey(account, DEVICE), key(900, 90, 91));
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(0, 0));
    }

    @Test
    void kyberLastResortIsReplaced() throws Exception {
        store.setKyberLastResort(account, DEVICE, key(900, 90, 91));
        store.setKyberLastResort(account, DEVICE, key(901, 92, 93));

        assertKey(store.takeKyberPreKey(account, DEVICE), key(901, 92, 93));
    }

    @Test
    void kyberWithNeitherPoolNorLastResortIsEmpty() throws Exception {
        assertThat(store.takeKyberPreKey(account, DEVICE)).isEmpty();
    }

    @Test
    void everyOneTimeKyberKeyIsHandedOutOnceBeforeTheLastResort() throws Exception {
        store.setKyberLastResort(account, DEVICE, key(900, 90, 91));
        store.addKyberPreKeys(account, DEVICE, keys(1, 5));

        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            taken.add(store.takeKyberPreKey(account, DEVICE).orElseThrow().id());
        }

        // The interface does not fix the order of one-time Kyber keys, only that each goes out once.
        assertThat(taken.subList(0, 5)).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        assertThat(taken.subList(5, 7)).containsExactly(900, 900);
    }

    // ---- one-time EC prekeys ----

    @Test
    void takePreKeyReturnsTheLowestIdAndRemovesIt() throws Exception {
        store.addPreKeys(account, DEVICE, List.of(key(5, 50, 0), key(2, 20, 0), key(9, 90, 0)));

        assertKey(store.takePreKey(account, DEVICE), key(2, 20, 0));
        assertKey(store.takePreKey(account, DEVICE), key(5, 50, 0));
        assertKey(store.takePreKey(account, DEVICE), key(9, 90, 0));
        assertThat(store.takePreKey(account, DEVICE)).isEmpty();
    }

    @Test
    void takePreKeyOfUnknownDeviceIsEmpty() throws Exception {
        assertThat(store.takePreKey(UUID.randomUUID(), DEVICE)).isEmpty();
        assertThat(store.signedPreKey(UUID.randomUUID(), DEVICE)).isEmpty();
    }

    @Test
    void racingTakesHandOutEveryKeyExactlyOnce() throws Exception {
        int keys = 100;
        store.addPreKeys(account, DEVICE, keys(1, keys));
        List<Integer> taken = Collections.synchronizedList(new ArrayList<>());

        // Each thread takes until the pool runs dry, so the threads overlap for the whole run.
        Concurrently.run(16, () -> {
            Optional<PublicPreKey> key;
            while ((key = store.takePreKey(account, DEVICE)).isPresent()) {
                taken.add(key.get().id());
            }
            return null;
        });

        assertThat(taken).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, keys).boxed().toList());
        assertThat(store.count(account, DEVICE).preKeys()).isZero();
    }

    @Test
    void racingKyberTakesHandOutEachOneTimeKeyOnceThenTheLastResort() throws Exception {
        int keys = 50;
        store.setKyberLastResort(account, DEVICE, key(9000, 90, 91));
        store.addKyberPreKeys(account, DEVICE, keys(1, keys));

        // 16 threads x 5 takes = 80 asks for 50 one-time keys: 30 must get the last-resort key.
        List<List<Integer>> perThread = Concurrently.run(16, () -> {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(store.takeKyberPreKey(account, DEVICE).orElseThrow().id());
            }
            return ids;
        });

        List<Integer> all = perThread.stream().flatMap(List::stream).toList();
        assertThat(all.stream().filter(id -> id != 9000).toList())
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, keys).boxed().toList());
        assertThat(all.stream().filter(id -> id == 9000).count()).isEqualTo(80 - keys);
        assertKey(store.takeKyberPreKey(account, DEVICE), key(9000, 90, 91));
    }

    // ---- adding, counting, isolation ----

    @Test
    void countCountsOnlyTheOneTimePools() throws Exception {
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(0, 0));

        store.setSignedPreKey(account, DEVICE, key(1, 1, 1));
        store.setKyberLastResort(account, DEVICE, key(2, 2, 2));
        store.addPreKeys(account, DEVICE, keys(1, 3));
        store.addKyberPreKeys(account, DEVICE, keys(1, 2));
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(3, 2));

        store.takePreKey(account, DEVICE);
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(2, 2));
        store.takeKyberPreKey(account, DEVICE);
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(2, 1));
    }

    @Test
    void anUploadThatWouldPassTheCapStoresNothing() throws Exception {
        int cap = KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE;
        assertThat(store.addPreKeys(account, DEVICE, keys(1, cap - 1))).isTrue();

        assertThat(store.addPreKeys(account, DEVICE, keys(cap, 2))).isFalse();
        assertThat(store.addKyberPreKeys(account, DEVICE, keys(1, cap + 1))).isFalse();
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(cap - 1, 0));
        // Re-sent ids replace keys and do not count twice; one new key still fits.
        assertThat(store.addPreKeys(account, DEVICE, keys(cap - 5, 6))).isTrue();
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(cap, 0));
    }

    @Test
    void racingUploadsNeverPassTheCap() throws Exception {
        int cap = KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE;
        AtomicInteger nextBatch = new AtomicInteger();

        // 8 uploads of 20 keys with distinct ids at once: at most 5 fit.
        List<Boolean> stored = Concurrently.run(8,
                () -> store.addPreKeys(account, DEVICE, keys(1 + 20 * nextBatch.getAndIncrement(), 20)));

        assertThat(stored).filteredOn(b -> b).hasSize(cap / 20);
        assertThat(store.count(account, DEVICE).preKeys()).isEqualTo(cap);
    }

    @Test
    void reAddingAnIdReplacesTheKey() throws Exception {
        store.addPreKeys(account, DEVICE, List.of(key(7, 1, 0)));
        store.addPreKeys(account, DEVICE, List.of(key(7, 2, 0)));
        store.addKyberPreKeys(account, DEVICE, List.of(key(7, 3, 4)));
        store.addKyberPreKeys(account, DEVICE, List.of(key(7, 5, 6)));

        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(1, 1));
        assertKey(store.takePreKey(account, DEVICE), key(7, 2, 0));
        assertKey(store.takeKyberPreKey(account, DEVICE), key(7, 5, 6));
    }

    @Test
    void ecAndKyberPoolsAreSeparate() throws Exception {
        store.addPreKeys(account, DEVICE, List.of(key(1, 1, 0)));

        assertThat(store.takeKyberPreKey(account, DEVICE)).isEmpty();
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(1, 0));
    }

    @Test
    void keysOfOneDeviceAreNeverHandedOutForAnother() throws Exception {
        UUID otherAccount = UUID.randomUUID();
        store.addPreKeys(account, 1, List.of(key(1, 11, 0)));
        store.addPreKeys(account, 2, List.of(key(1, 12, 0)));
        store.addPreKeys(otherAccount, 1, List.of(key(1, 13, 0)));
        store.setSignedPreKey(account, 1, key(5, 15, 16));
        store.setKyberLastResort(account, 1, key(6, 17, 18));

        assertKey(store.takePreKey(account, 2), key(1, 12, 0));
        assertThat(store.takePreKey(account, 2)).isEmpty();
        assertThat(store.signedPreKey(account, 2)).isEmpty();
        assertThat(store.takeKyberPreKey(account, 2)).isEmpty();
        assertThat(store.signedPreKey(otherAccount, 1)).isEmpty();
        assertThat(store.count(account, 1)).isEqualTo(new KeyCounts(1, 0));
        assertThat(store.count(otherAccount, 1)).isEqualTo(new KeyCounts(1, 0));
        assertKey(store.takePreKey(otherAccount, 1), key(1, 13, 0));
        assertKey(store.takePreKey(account, 1), key(1, 11, 0));
    }

    // ---- durability and failure ----

    @Test
    void keysSurviveCloseAndReopenAndTakenKeysStayTaken() throws Exception {
        store.setSignedPreKey(account, DEVICE, key(1, 10, 11));
        store.setKyberLastResort(account, DEVICE, key(2, 20, 21));
        store.addPreKeys(account, DEVICE, keys(1, 3));
        store.addKyberPreKeys(account, DEVICE, keys(1, 1));
        assertThat(store.takePreKey(account, DEVICE).orElseThrow().id()).isEqualTo(1);

        store = reopenStorage().keys();

        assertKey(store.signedPreKey(account, DEVICE), key(1, 10, 11));
        assertThat(store.count(account, DEVICE)).isEqualTo(new KeyCounts(2, 1));
        assertThat(store.takePreKey(account, DEVICE).orElseThrow().id()).isEqualTo(2);
        assertThat(store.takeKyberPreKey(account, DEVICE).orElseThrow().id()).isEqualTo(1);
        assertKey(store.takeKyberPreKey(account, DEVICE), key(2, 20, 21));
    }

    @Test
    void aClosedStoreFailsWithStoreException() throws Exception {
        store.addPreKeys(account, DEVICE, keys(1, 2));

        closeStorage();

        assertThatThrownBy(() -> store.count(account, DEVICE)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.signedPreKey(account, DEVICE)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.takePreKey(account, DEVICE)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.addPreKeys(account, DEVICE, keys(3, 1))).isInstanceOf(StoreException.class);
    }

    // ---- helpers ----

    private static void assertKey(Optional<PublicPreKey> actual, PublicPreKey expected) {
        assertThat(actual).as("expected key %d", expected.id()).isPresent();
        assertThat(actual.get().id()).isEqualTo(expected.id());
        assertThat(actual.get().publicKey()).isEqualTo(expected.publicKey());
        assertThat(actual.get().signature()).isEqualTo(expected.signature());
    }

    /** A key whose bytes tell it apart; {@code signatureFill} 0 gives the empty signature of EC one-time keys. */
    private static PublicPreKey key(int id, int publicKeyFill, int signatureFill) {
        byte[] publicKey = new byte[33];
        Arrays.fill(publicKey, (byte) publicKeyFill);
        byte[] signature = new byte[signatureFill == 0 ? 0 : 64];
        Arrays.fill(signature, (byte) signatureFill);
        return new PublicPreKey(id, publicKey, signature);
    }

    /** {@code count} keys with ids from {@code firstId}, each with its own bytes. */
    private static List<PublicPreKey> keys(int firstId, int count) {
        return IntStream.range(firstId, firstId + count).mapToObj(id -> key(id, id, id)).toList();
    }
}
