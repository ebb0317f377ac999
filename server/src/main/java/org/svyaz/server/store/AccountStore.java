// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Accounts, their devices, username hashes and operator invite codes.
 *
 * <p>Data layout: an account row (id, identity key, created, sealed-sender access key and flag,
 * profile ciphertext), device
 * rows keyed by (account, device
 * id) with the credential hash, a username table mapping a 32-byte username hash to its account, and
 * invite codes stored as SHA-256 hashes with an expiry. Plaintext usernames and invite codes are
 * never stored.
 */
public interface AccountStore {
    /**
     * Atomically creates an account with device 1, claiming the first free hash of
     * {@code usernameHashes} and, when {@code inviteCodeHash} is not null, consuming that invite code.
     * With it, in the same transaction, the device's keys and the account's sealed-sender access are
     * stored. Either all of it happens or nothing does: a failure storing the keys must not leave a
     * username held by an account nobody can start a session with. The invite code is checked
     * before the usernames, so a rejected invite says nothing about which usernames are taken.
     */
    CreateAccountResult create(Account account, Device firstDevice, DeviceKeys firstDeviceKeys,
                               SealedSenderAccess access, List<byte[]> usernameHashes, byte[] inviteCodeHash,
                               long nowMillis) throws StoreException;

    /** {@link #create} without keys and with no sealed-sender access. */
    default CreateAccountResult create(Account account, Device firstDevice, List<byte[]> usernameHashes,
                                       byte[] inviteCodeHash, long nowMillis) throws StoreException {
        return create(account, firstDevice, DeviceKeys.NONE, new SealedSenderAccess(new byte[0], false),
                usernameHashes, inviteCodeHash, nowMillis);
    }

    Optional<Account> findAccount(UUID accountId) throws StoreException;

    Optional<UUID> findByUsernameHash(byte[] usernameHash) throws StoreException;

    Optional<Device> findDevice(UUID accountId, int deviceId) throws StoreException;

    /** All devices of the account, ordered by device id; empty when the account does not exist. */
    List<Device> findDevices(UUID accountId) throws StoreException;

    /**
     * The devices of each named account, ordered by device id; an unknown account maps to an empty
     * list. Read together: a group message names up to a thousand accounts, and one read for all of
     * them costs far less than one each.
     */
    Map<UUID, List<Device>> findDevices(Collection<UUID> accountIds) throws StoreException;

    /**
     * Replaces the account's identity key, sets the registration id of {@code keptDeviceId},
     * removes every other device and every key of the account and stores {@code keptDeviceKeys},
     * atomically: a failure leaves the old identity with its old keys. Returns false (and changes
     * nothing) when the account does not exist.
     */
    boolean replaceIdentity(UUID accountId, byte[] identityKey, int keptDeviceId, int registrationId,
                            DeviceKeys keptDeviceKeys) throws StoreException;

    /** {@link #replaceIdentity} leaving the kept device without keys. */
    default boolean replaceIdentity(UUID accountId, byte[] identityKey, int keptDeviceId, int registrationId)
            throws StoreException {
        return replaceIdentity(accountId, identityKey, keptDeviceId, registrationId, DeviceKeys.NONE);
    }

    /** Sets who may send sealed messages to the account; false when the account does not exist. */
    boolean setSealedSenderAccess(UUID accountId, SealedSenderAccess access) throws StoreException;

    /** The account's sealed-sender access; empty when the account does not exist. */
    Optional<SealedSenderAccess> findSealedSenderAccess(UUID accountId) throws StoreException;

    /** Stores the account's encrypted profile; false when the account does not exist. */
    boolean setProfile(UUID accountId, byte[] profileCiphertext) throws StoreException;

    /** The encrypted profile; empty when the account does not exist or has none. */
    Optional<byte[]> findProfile(UUID accountId) throws StoreException;

    /** Stores a one-time invite code hash valid until {@code expiresAtMillis}. */
    void addInviteCode(byte[] inviteCodeHash, long expiresAtMillis) throws StoreException;

    /**
     * Up to {@code limit} account ids after {@code after} (from the first when empty), in the
     * store's own order: page after page, every account once. For the operator's tools, which
     * look for the account a found relay token was issued to.
     */
    List<UUID> accountIds(Optional<UUID> after, int limit) throws StoreException;

    /** The hashes of the invite codes still unused and valid at {@code nowMillis}, with their expiry. */
    Map<ByteBuffer, Long> openInviteCodes(long nowMillis) throws StoreException;
}
