// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Public prekeys of devices.
 *
 * <p>Data layout: per (account, device) one signed EC prekey and one Kyber last-resort key (replaced
 * on upload), and two pools of one-time keys (EC and Kyber) keyed by (account, device, key id).
 * A one-time key is removed in the same transaction that hands it out, so no key is given twice.
 */
public interface KeyStore {
    /**
     * The most one-time keys of one kind (EC or Kyber) a device may have stored, as Signal-Server
     * keeps: enough for a hundred new contacts before the device tops up, and no more, so one
     * device cannot grow the database without end.
     */
    int MAX_ONE_TIME_KEYS_PER_DEVICE = 100;

    void setSignedPreKey(UUID accountId, int deviceId, PublicPreKey key) throws StoreException;

    void setKyberLastResort(UUID accountId, int deviceId, PublicPreKey key) throws StoreException;

    /**
     * Adds to the one-time EC pool (a key with an id already present replaces it), unless the pool
     * would then hold more than {@link #MAX_ONE_TIME_KEYS_PER_DEVICE} keys: then nothing is stored
     * and false is returned. The count and the insert are one transaction, so concurrent uploads
     * cannot pass the cap together.
     */
    boolean addPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException;

    /** As {@link #addPreKeys}, for the one-time Kyber pool. */
    boolean addKyberPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException;

    Optional<PublicPreKey> signedPreKey(UUID accountId, int deviceId) throws StoreException;

    /** The Kyber last-resort key, left in place (for a bundle that takes no one-time key). */
    Optional<PublicPreKey> kyberLastResort(UUID accountId, int deviceId) throws StoreException;

    /** Removes and returns the one-time EC prekey with the lowest id, if any. */
    Optional<PublicPreKey> takePreKey(UUID accountId, int deviceId) throws StoreException;

    /** Removes and returns a one-time Kyber prekey, or returns the last-resort key when the pool is empty. */
    Optional<PublicPreKey> takeKyberPreKey(UUID accountId, int deviceId) throws StoreException;

    /** Removes every key of every device of the account (after an identity reset). */
    void deleteAll(UUID accountId) throws StoreException;

    KeyCounts count(UUID accountId, int deviceId) throws StoreException;
}
