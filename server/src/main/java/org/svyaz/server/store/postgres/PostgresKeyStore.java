// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.server.store.KeyCounts;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.PublicPreKey;
import org.svyaz.server.store.StoreException;

/**
 * {@link KeyStore} on PostgreSQL: one {@code device_keys} table, the kind of each key in a column,
 * as in SQLite. Senders on every node take one-time keys of the same device at once; each take is
 * one {@code DELETE ... RETURNING} of a row it locked with {@code SKIP LOCKED}, so no key goes out twice
 * and no taker waits for another.
 */
public final class PostgresKeyStore implements KeyStore {
    private static final int SIGNED = 1;
    private static final int ONE_TIME = 2;
    private static final int KYBER_ONE_TIME = 3;
    private static final int KYBER_LAST_RESORT = 4;

    private final PostgresDatabase database;

    public PostgresKeyStore(PostgresDatabase database) {
        this.database = database;
    }

    @Override
    public void setSignedPreKey(UUID accountId, int deviceId, PublicPreKey key) throws StoreException {
        replaceSingle(accountId, deviceId, SIGNED, key);
    }

    @Override
    public void setKyberLastResort(UUID accountId, int deviceId, PublicPreKey key) throws StoreException {
        replaceSingle(accountId, deviceId, KYBER_LAST_RESORT, key);
    }

    /** One upsert on the partial unique index {@code device_keys_single}: two racing uploads leave one key. */
    private void replaceSingle(UUID accountId, int deviceId, int kind, PublicPreKey key) throws StoreException {
        database.run(connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("""
                    INSERT INTO device_keys (account_id, device_id, kind, key_id, public_key, signature)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (account_id, device_id, kind) WHERE kind IN (1, 4) DO UPDATE
                    SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature""")) {
                bind(upsert, accountId, deviceId, kind, key);
                return upsert.executeUpdate();
            }
        });
    }

    @Override
    public void addPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        addOneTime(accountId, deviceId, ONE_TIME, keys);
    }

    @Override
    public void addKyberPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        addOneTime(accountId, deviceId, KYBER_ONE_TIME, keys);
    }

    private void addOneTime(UUID accountId, int deviceId, int kind, List<PublicPreKey> keys) throws StoreException {
        // One upsert may not touch a row twice: a repeated id keeps its last key, as SQLite's INSERT OR REPLACE does.
        Map<Integer, PublicPreKey> byId = new LinkedHashMap<>();
        for (PublicPreKey key : keys) {
            byId.put(key.id(), key);
        }
        if (byId.isEmpty()) {
            return;
        }
        database.transaction(connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("""
                    INSERT INTO device_keys (account_id, device_id, kind, key_id, public_key, signature)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (account_id, device_id, kind, key_id) DO UPDATE
                    SET public_key = excluded.public_key, signature = excluded.signature""")) {
                for (PublicPreKey key : byId.values()) {
                    bind(upsert, accountId, deviceId, kind, key);
                    upsert.addBatch();
                }
                upsert.executeBatch();
            }
            return null;
        });
    }

    private static void bind(PreparedStatement statement, UUID accountId, int deviceId, int kind, PublicPreKey key)
            throws SQLException {
        statement.setObject(1, accountId);
        statement.setInt(2, deviceId);
        statement.setShort(3, (short) kind);
        statement.setInt(4, key.id());
        statement.setBytes(5, key.publicKey());
        statement.setBytes(6, key.signature());
    }

    @Override
    public Optional<PublicPreKey> signedPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.run(connection -> first(connection, accountId, deviceId, SIGNED));
    }

    @Override
    public Optional<PublicPreKey> takePreKey(UUID accountId, int deviceId) throws StoreException {
        return database.run(connection -> take(connection, accountId, deviceId, ONE_TIME));
    }

    @Override
    public Optional<PublicPreKey> takeKyberPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.transaction(connection -> {
            Optional<PublicPreKey> oneTime = take(connection, accountId, deviceId, KYBER_ONE_TIME);
            return oneTime.isPresent() ? oneTime : first(connection, accountId, deviceId, KYBER_LAST_RESORT);
        });
    }

    /**
     * Deletes and returns the lowest-id key of the pool that no other transaction holds. A key locked
     * by another taker is as good as gone (it will be deleted when that taker commits), so skipping it
     * hands out the next one instead of waiting.
     */
    private static Optional<PublicPreKey> take(Connection connection, UUID accountId, int deviceId, int kind)
            throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("""
                DELETE FROM device_keys WHERE (account_id, device_id, kind, key_id) = (
                  SELECT account_id, device_id, kind, key_id FROM device_keys
                  WHERE account_id = ? AND device_id = ? AND kind = ?
                  ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING key_id, public_key, signature""")) {
            delete.setObject(1, accountId);
            delete.setInt(2, deviceId);
            delete.setShort(3, (short) kind);
            try (ResultSet rows = delete.executeQuery()) {
                return rows.next()
                        ? Optional.of(new PublicPreKey(rows.getInt(1), rows.getBytes(2), rows.getBytes(3)))
                        : Optional.empty();
            }
        }
    }

    private static Optional<PublicPreKey> first(Connection connection, UUID accountId, int deviceId, int kind)
            throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("""
                SELECT key_id, public_key, signature FROM device_keys
                WHERE account_id = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1""")) {
            query.setObject(1, accountId);
            query.setInt(2, deviceId);
            query.setShort(3, (short) kind);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next()
                        ? Optional.of(new PublicPreKey(rows.getInt(1), rows.getBytes(2), rows.getBytes(3)))
                        : Optional.empty();
            }
        }
    }

    @Override
    public void deleteAll(UUID accountId) throws StoreException {
        database.run(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM device_keys WHERE account_id = ?")) {
                delete.setObject(1, accountId);
                return delete.executeUpdate();
            }
        });
    }

    @Override
    public KeyCounts count(UUID accountId, int deviceId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT count(*) FILTER (WHERE kind = ?), count(*) FILTER (WHERE kind = ?) FROM device_keys
                    WHERE account_id = ? AND device_id = ?""")) {
                query.setShort(1, (short) ONE_TIME);
                query.setShort(2, (short) KYBER_ONE_TIME);
                query.setObject(3, accountId);
                query.setInt(4, deviceId);
                try (ResultSet rows = query.executeQuery()) {
                    rows.next();
                    return new KeyCounts(rows.getInt(1), rows.getInt(2));
                }
            }
        });
    }
}
