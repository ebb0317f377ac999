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
    void setSignedPreKey(UUID accountId, int deviceId, PublicPreKey key) throws StoreException;

    void setKyberLastResort(UUID accountId, int deviceId, PublicPreKey key) throws StoreException;

    /** Adds to the one-time EC pool; a key with an id already present replaces it. */
    void addPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException;

    /** Adds to the one-time Kyber pool; a key with an id already present replaces it. */
    void addKyberPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException;

    Optional<PublicPreKey> signedPreKey(UUID accountId, int deviceId) throws StoreException;

    /** Removes and returns the one-time EC prekey with the lowest id, if any. */
    Optional<PublicPreKey> takePreKey(UUID accountId, int deviceId) throws StoreException;

    /** Removes and returns a one-time Kyber prekey, or returns the last-resort key when the pool is empty. */
    Optional<PublicPreKey> takeKyberPreKey(UUID accountId, int deviceId) throws StoreException;

    /** Removes every key of every device of the account (after an identity reset). */
    void deleteAll(UUID accountId) throws StoreException;

    KeyCounts count(UUID accountId, int deviceId) throws StoreException;
}
