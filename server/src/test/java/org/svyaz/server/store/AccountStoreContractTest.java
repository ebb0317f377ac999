// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The interface-level suite every {@link AccountStore} implementation must pass, run on every
 * {@link StorageKind}. It talks to the store only through the interface.
 */
// A hang guard, not a timing assertion: a store that deadlocks must fail the build instead of stalling it.
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public class AccountStoreContractTest extends StoreContract {
    private static final long NOW = 1_700_000_000_000L;

    private AccountStore store;

    @BeforeEach
    void openStore() throws Exception {
        store = storage.accounts();
    }

    // ---- create: usernames ----

    @Test
    void createStoresTheAccountAndItsFirstDevice() throws Exception {
        UUID id = UUID.randomUUID();
        Device device = new Device(1, 4242, bytes(16, 7), bytes(32, 8), NOW + 5);

        CreateAccountResult result = store.create(new Account(id, bytes(33, 9), NOW), device,
                List.of(hash(1)), null, NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.Created(0));
        Account account = store.findAccount(id).orElseThrow();
        assertThat(account.id()).isEqualTo(id);
        assertThat(account.identityKey()).isEqualTo(bytes(33, 9));
        assertThat(account.createdAtMillis()).isEqualTo(NOW);
        assertDevice(store.findDevice(id, 1).orElseThrow(), device);
        assertThat(store.findDevices(id)).singleElement().satisfies(d -> assertDevice(d, device));
        assertThat(store.findByUsernameHash(hash(1))).contains(id);
    }

    @Test
    void createClaimsTheFirstFreeHashAndOnlyThatOne() throws Exception {
        UUID holder = createWith(List.of(hash(1))).id();
        UUID other = createWith(List.of(hash(3))).id();

        // 1 and 3 are held; 2 is the first free one even though 4 is free too.
        UUID id = UUID.randomUUID();
        CreateAccountResult result = store.create(account(id), device(), List.of(hash(1), hash(2), hash(3), hash(4)),
                null, NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.Created(1));
        assertThat(store.findByUsernameHash(hash(2))).contains(id);
        assertThat(store.findByUsernameHash(hash(4))).as("a later free hash is not claimed").isEmpty();
        assertThat(store.findByUsernameHash(hash(1))).contains(holder);
        assertThat(store.findByUsernameHash(hash(3))).contains(other);
    }

    @Test
    void createTakesTheFirstHashWhenAllAreFree() throws Exception {
        UUID id = UUID.randomUUID();

        CreateAccountResult result = store.create(account(id), device(), List.of(hash(5), hash(6)), null, NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.Created(0));
        assertThat(store.findByUsernameHash(hash(5))).contains(id);
        assertThat(store.findByUsernameHash(hash(6))).isEmpty();
    }

    @Test
    void createWithEveryHashTakenWritesNothing() throws Exception {
        UUID first = createWith(List.of(hash(1))).id();
        UUID second = createWith(List.of(hash(2))).id();
        UUID id = UUID.randomUUID();

        CreateAccountResult result = store.create(account(id), device(), List.of(hash(1), hash(2)), null, NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.UsernamesTaken());
        assertThat(store.findAccount(id)).isEmpty();
        assertThat(store.findDevices(id)).isEmpty();
        assertThat(store.findByUsernameHash(hash(1))).contains(first);
        assertThat(store.findByUsernameHash(hash(2))).contains(second);
    }

    @Test
    void accountIdsComePageByPageEachOnce() throws Exception {
        java.util.Set<UUID> created = new java.util.HashSet<>();
        for (int i = 0; i < 7; i++) {
            created.add(createWith(List.of(hash(10 + i))).id());
        }
        List<UUID> seen = new java.util.ArrayList<>();
        Optional<UUID> after = Optional.empty();
        for (List<UUID> page; !(page = store.accountIds(after, 3)).isEmpty(); after = Optional.of(page.getLast())) {
            assertThat(page.size()).isLessThanOrEqualTo(3);
            seen.addAll(page);
        }
        assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void openInviteCodesAreTheUnusedUnexpiredOnes() throws Exception {
        store.addInviteCode(hash(100), NOW + 60_000);
        store.addInviteCode(hash(101), NOW - 1);
        store.addInviteCode(hash(102), NOW + 120_000);
        store.create(account(UUID.randomUUID()), device(), List.of(hash(1)), hash(102), NOW);

        assertThat(store.openInviteCodes(NOW)).containsExactly(
                java.util.Map.entry(java.nio.ByteBuffer.wrap(hash(100)), NOW + 60_000));
    }

    @Test
    void usernamesTakenDoesNotUseUpTheInviteCode() throws Exception {
        createWith(List.of(hash(1)));
        store.addInviteCode(hash(100), NOW + 60_000);

        CreateAccountResult taken = store.create(account(UUID.randomUUID()), device(), List.of(hash(1)), hash(100), NOW);
        CreateAccountResult retry = store.create(account(UUID.randomUUID()), device(), List.of(hash(2)), hash(100), NOW);

        assertThat(taken).isEqualTo(new CreateAccountResult.UsernamesTaken());
        assertThat(retry).as("the code must still be unused").isEqualTo(new CreateAccountResult.Created(0));
    }

    @Test
    void racingCreatesEachClaimADifferentHash() throws Exception {
        int threads = 16;
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            hashes.add(hash(i));
        }

        List<CreateAccountResult> results = Concurrently.run(threads,
                () -> store.create(account(UUID.randomUUID()), device(), hashes, null, NOW));

        // Every hash offered once per thread: each thread must end up with its own index.
        List<Integer> indexes = results.stream()
                .map(r -> ((CreateAccountResult.Created) r).usernameIndex())
                .toList();
        assertThat(indexes).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, threads).boxed().toList());
    }

    // ---- create: one transaction with the keys ----

    @Test
    void createStoresTheFirstDevicesKeysAndAccess() throws Exception {
        UUID id = UUID.randomUUID();
        SealedSenderAccess access = new SealedSenderAccess(bytes(16, 5), true);

        CreateAccountResult result = store.create(account(id), device(), keys(1), access, List.of(hash(1)), null, NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.Created(0));
        assertThat(storage.keys().signedPreKey(id, 1)).hasValueSatisfying(k -> assertThat(k.id()).isEqualTo(1));
        assertThat(storage.keys().count(id, 1)).isEqualTo(new KeyCounts(2, 1));
        assertThat(store.findSealedSenderAccess(id)).hasValueSatisfying(a -> {
            assertThat(a.accessKey()).isEqualTo(bytes(16, 5));
            assertThat(a.unrestricted()).isTrue();
        });
    }

    @Test
    void createThatFailsStoringTheKeysLeavesTheUsernameAndInviteFree() throws Exception {
        store.addInviteCode(hash(100), NOW + 60_000);
        UUID id = UUID.randomUUID();

        // The keys are written last; a key the database refuses (no public key) fails the whole create.
        assertThatThrownBy(() -> store.create(account(id), device(), brokenKeys(), noAccess(), List.of(hash(1)),
                hash(100), NOW)).isInstanceOf(StoreException.class);

        assertRejectedCreateWroteNothing(id, hash(1));
        assertThat(storage.keys().count(id, 1)).isEqualTo(new KeyCounts(0, 0));
        UUID retry = UUID.randomUUID();
        assertThat(store.create(account(retry), device(), keys(1), noAccess(), List.of(hash(1)), hash(100), NOW))
                .as("the username and the invite are free again").isEqualTo(new CreateAccountResult.Created(0));
        assertThat(store.findByUsernameHash(hash(1))).contains(retry);
    }

    @Test
    void replaceIdentityStoresTheNewKeysInPlaceOfEveryOldOne() throws Exception {
        UUID id = UUID.randomUUID();
        store.create(account(id), device(), keys(1), noAccess(), List.of(hash(1)), null, NOW);

        assertThat(store.replaceIdentity(id, bytes(33, 77), 1, 999, keys(50))).isTrue();

        assertThat(storage.keys().signedPreKey(id, 1)).hasValueSatisfying(k -> assertThat(k.id()).isEqualTo(50));
        assertThat(storage.keys().takePreKey(id, 1)).hasValueSatisfying(k -> assertThat(k.id()).isEqualTo(51));
        assertThat(storage.keys().count(id, 1)).isEqualTo(new KeyCounts(1, 1));
    }

    @Test
    void replaceIdentityThatFailsStoringTheKeysKeepsTheOldIdentityAndKeys() throws Exception {
        UUID id = UUID.randomUUID();
        store.create(account(id), device(), keys(1), noAccess(), List.of(hash(1)), null, NOW);

        assertThatThrownBy(() -> store.replaceIdentity(id, bytes(33, 77), 1, 999, brokenKeys()))
                .isInstanceOf(StoreException.class);

        assertThat(store.findAccount(id).orElseThrow().identityKey()).isEqualTo(bytes(33, 1));
        assertThat(store.findDevice(id, 1).orElseThrow().registrationId()).isEqualTo(device().registrationId());
        assertThat(storage.keys().signedPreKey(id, 1)).hasValueSatisfying(k -> assertThat(k.id()).isEqualTo(1));
        assertThat(storage.keys().count(id, 1)).isEqualTo(new KeyCounts(2, 1));
    }

    /** A signed prekey, a last-resort key, two one-time EC keys and one Kyber key, ids from {@code firstId}. */
    private static DeviceKeys keys(int firstId) {
        return new DeviceKeys(java.util.Optional.of(new PublicPreKey(firstId, bytes(33, 1), bytes(64, 2))),
                java.util.Optional.of(new PublicPreKey(firstId, bytes(1569, 3), bytes(64, 4))),
                List.of(new PublicPreKey(firstId + 1, bytes(33, 5), new byte[0]),
                        new PublicPreKey(firstId + 2, bytes(33, 6), new byte[0])),
                List.of(new PublicPreKey(firstId + 3, bytes(1569, 7), bytes(64, 8))));
    }

    /** Valid signed keys, then a one-time key the database refuses: the failure comes after writes. */
    private static DeviceKeys brokenKeys() {
        DeviceKeys good = keys(1);
        return new DeviceKeys(good.signedPreKey(), good.kyberLastResort(),
                List.of(new PublicPreKey(2, null, new byte[0])), List.of());
    }

    private static SealedSenderAccess noAccess() {
        return new SealedSenderAccess(new byte[0], false);
    }

    // ---- create: invite codes ----

    @Test
    void inviteCodeIsConsumedExactlyOnce() throws Exception {
        store.addInviteCode(hash(100), NOW + 60_000);
        UUID firstId = UUID.randomUUID();
        UUID secondId = UUID.randomUUID();

        CreateAccountResult first = store.create(account(firstId), device(), List.of(hash(1)), hash(100), NOW);
        CreateAccountResult second = store.create(account(secondId), device(), List.of(hash(2)), hash(100), NOW);

        assertThat(first).isEqualTo(new CreateAccountResult.Created(0));
        assertThat(second).isEqualTo(new CreateAccountResult.InviteRejected());
        assertThat(store.findAccount(firstId)).isPresent();
        assertRejectedCreateWroteNothing(secondId, hash(2));
    }

    @Test
    void expiredInviteCodeIsRejectedAndWritesNothing() throws Exception {
        store.addInviteCode(hash(100), NOW - 1);
        UUID id = UUID.randomUUID();

        CreateAccountResult result = store.create(account(id), device(), List.of(hash(1)), hash(100), NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.InviteRejected());
        assertRejectedCreateWroteNothing(id, hash(1));
    }

    @Test
    void unknownInviteCodeIsRejectedAndWritesNothing() throws Exception {
        store.addInviteCode(hash(100), NOW + 60_000);
        UUID id = UUID.randomUUID();

        CreateAccountResult result = store.create(account(id), device(), List.of(hash(1)), hash(101), NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.InviteRejected());
        assertRejectedCreateWroteNothing(id, hash(1));
        // The rejected attempt must not have touched the code that does exist.
        assertThat(store.create(account(UUID.randomUUID()), device(), List.of(hash(2)), hash(100), NOW))
                .isEqualTo(new CreateAccountResult.Created(0));
    }

    @Test
    void inviteCodeIsValidUntilItExpires() throws Exception {
        store.addInviteCode(hash(100), NOW + 1);

        CreateAccountResult result = store.create(account(UUID.randomUUID()), device(), List.of(hash(1)), hash(100),
                NOW);

        assertThat(result).isEqualTo(new CreateAccountResult.Created(0));
    }

    @Test
    void racingCreatesWithOneInviteCodeLetExactlyOneThrough() throws Exception {
        store.addInviteCode(hash(100), NOW + 60_000);
        AtomicInteger next = new AtomicInteger();

        List<CreateAccountResult> results = Concurrently.run(8, () -> {
            byte[] username = hash(next.getAndIncrement());
            return store.create(account(UUID.randomUUID()), device(), List.of(username), hash(100), NOW);
        });

        assertThat(results).filteredOn(r -> r instanceof CreateAccountResult.Created).hasSize(1);
        assertThat(results).filteredOn(r -> r instanceof CreateAccountResult.InviteRejected).hasSize(7);
    }

    // ---- lookups ----

    @Test
    void lookupsOfUnknownIdsAreEmpty() throws Exception {
        UUID known = createWith(List.of(hash(1))).id();

        assertThat(store.findAccount(UUID.randomUUID())).isEmpty();
        assertThat(store.findByUsernameHash(hash(2))).isEmpty();
        assertThat(store.findDevice(UUID.randomUUID(), 1)).isEmpty();
        assertThat(store.findDevice(known, 2)).isEmpty();
        assertThat(store.findDevices(UUID.randomUUID())).isEmpty();
    }

    @Test
    void devicesBelongToTheirOwnAccount() throws Exception {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        Device deviceA = new Device(1, 11, bytes(16, 1), bytes(32, 2), NOW);
        Device deviceB = new Device(1, 22, bytes(16, 3), bytes(32, 4), NOW);
        store.create(account(a), deviceA, List.of(hash(1)), null, NOW);
        store.create(account(b), deviceB, List.of(hash(2)), null, NOW);

        // findDevices is documented as ordered by device id; create is the only way to add a device
        // through this interface, so each account has exactly one and the order cannot be observed here.
        assertThat(store.findDevices(a)).singleElement().satisfies(d -> assertDevice(d, deviceA));
        assertThat(store.findDevices(b)).singleElement().satisfies(d -> assertDevice(d, deviceB));
        assertDevice(store.findDevice(b, 1).orElseThrow(), deviceB);
    }

    @Test
    void devicesOfManyAccountsAreReadTogether() throws Exception {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        UUID unknown = UUID.randomUUID();
        Device deviceA = new Device(1, 11, bytes(16, 1), bytes(32, 2), NOW);
        Device deviceB = new Device(1, 22, bytes(16, 3), bytes(32, 4), NOW);
        store.create(account(a), deviceA, List.of(hash(1)), null, NOW);
        store.create(account(b), deviceB, List.of(hash(2)), null, NOW);
        store.create(account(UUID.randomUUID()), device(), List.of(hash(3)), null, NOW);

        java.util.Map<UUID, List<Device>> found = store.findDevices(List.of(a, unknown, b, a));

        assertThat(found).containsOnlyKeys(a, b, unknown);
        assertThat(found.get(a)).singleElement().satisfies(d -> assertDevice(d, deviceA));
        assertThat(found.get(b)).singleElement().satisfies(d -> assertDevice(d, deviceB));
        assertThat(found.get(unknown)).isEmpty();
        assertThat(store.findDevices(List.<UUID>of())).isEmpty();
    }

    // ---- durability and failure ----

    @Test
    void dataSurvivesCloseAndReopen() throws Exception {
        UUID id = UUID.randomUUID();
        Device device = new Device(1, 77, bytes(16, 5), bytes(32, 6), NOW);
        store.create(new Account(id, bytes(33, 1), NOW), device, List.of(hash(1)), null, NOW);
        store.addInviteCode(hash(100), NOW + 60_000);

        store = reopenStorage().accounts();

        assertThat(store.findAccount(id)).hasValueSatisfying(a -> assertThat(a.identityKey()).isEqualTo(bytes(33, 1)));
        assertDevice(store.findDevice(id, 1).orElseThrow(), device);
        assertThat(store.findByUsernameHash(hash(1))).contains(id);
        assertThat(store.create(account(UUID.randomUUID()), device(), List.of(hash(2)), hash(100), NOW))
                .as("the invite code added before the restart")
                .isEqualTo(new CreateAccountResult.Created(0));
    }

    @Test
    void aClosedStoreFailsWithStoreException() throws Exception {
        UUID id = createWith(List.of(hash(1))).id();

        closeStorage();

        assertThatThrownBy(() -> store.findAccount(id)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.findDevices(id)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.addInviteCode(hash(100), NOW)).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> store.create(account(UUID.randomUUID()), device(), List.of(hash(2)), null, NOW))
                .isInstanceOf(StoreException.class);
    }

    // ---- helpers ----

    private void assertRejectedCreateWroteNothing(UUID id, byte[] usernameHash) throws StoreException {
        assertThat(store.findAccount(id)).isEmpty();
        assertThat(store.findDevices(id)).isEmpty();
        assertThat(store.findByUsernameHash(usernameHash)).isEmpty();
    }

    // ---- identity reset ----

    @Test
    void replaceIdentitySwapsTheKeyAndRegistrationIdButKeepsUsernameAndCredentials() throws Exception {
        Account account = createWith(List.of(hash(41)));

        assertThat(store.replaceIdentity(account.id(), bytes(33, 77), 1, 999)).isTrue();

        assertThat(store.findAccount(account.id()).orElseThrow().identityKey()).isEqualTo(bytes(33, 77));
        Device device = store.findDevice(account.id(), 1).orElseThrow();
        assertThat(device.registrationId()).isEqualTo(999);
        assertThat(device.credentialHash()).as("the device keeps its password").isEqualTo(device().credentialHash());
        assertThat(store.findByUsernameHash(hash(41))).contains(account.id());
        store = reopenStorage().accounts();
        assertThat(store.findAccount(account.id()).orElseThrow().identityKey()).isEqualTo(bytes(33, 77));
    }

    @Test
    void replaceIdentityOfAnUnknownAccountChangesNothing() throws Exception {
        Account account = createWith(List.of(hash(42)));

        assertThat(store.replaceIdentity(UUID.randomUUID(), bytes(33, 77), 1, 999)).isFalse();

        assertThat(store.findAccount(account.id()).orElseThrow().identityKey()).isEqualTo(account.identityKey());
    }

    private Account createWith(List<byte[]> usernameHashes) throws StoreException {
        Account account = account(UUID.randomUUID());
        CreateAccountResult result = store.create(account, device(), usernameHashes, null, NOW);
        assertThat(result).isInstanceOf(CreateAccountResult.Created.class);
        return account;
    }

    private static void assertDevice(Device actual, Device expected) {
        assertThat(actual.id()).isEqualTo(expected.id());
        assertThat(actual.registrationId()).isEqualTo(expected.registrationId());
        assertThat(actual.credentialSalt()).isEqualTo(expected.credentialSalt());
        assertThat(actual.credentialHash()).isEqualTo(expected.credentialHash());
        assertThat(actual.createdAtMillis()).isEqualTo(expected.createdAtMillis());
    }

    private static Account account(UUID id) {
        return new Account(id, bytes(33, 1), NOW);
    }

    private static Device device() {
        return new Device(1, 1234, bytes(16, 2), bytes(32, 3), NOW);
    }

    /** A 32-byte username or invite hash, a fresh array every call so stores must compare contents. */
    protected static byte[] hash(int n) {
        return ByteBuffer.allocate(32).putInt(0x5a5a5a5a).putInt(n).array();
    }

    private static byte[] bytes(int length, int fill) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }
}
