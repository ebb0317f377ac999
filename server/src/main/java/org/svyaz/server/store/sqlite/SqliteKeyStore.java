// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.protocol.Uuids;
import org.svyaz.server.store.KeyCounts;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.PublicPreKey;
import org.svyaz.server.store.StoreException;

/** {@link KeyStore} on the embedded SQLite database: all kinds of keys in one table, told apart by kind. */
public final class SqliteKeyStore implements KeyStore {
    private static final int SIGNED = 1;
    private static final int ONE_TIME = 2;
    private static final int KYBER_ONE_TIME = 3;
    private static final int KYBER_LAST_RESORT = 4;

    private final SqliteDatabase database;

    public SqliteKeyStore(SqliteDatabase database) {
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

    private void replaceSingle(UUID accountId, int deviceId, int kind, PublicPreKey key) throws StoreException {
        database.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM device_keys WHERE account_id = ? AND device_id = ? AND kind = ?")) {
                delete.setBytes(1, Uuids.toBytes(accountId));
                delete.setInt(2, deviceId);
                delete.setInt(3, kind);
                delete.executeUpdate();
            }
            insert(connection, accountId, deviceId, kind, List.of(key));
            return null;
        });
    }

    @Override
    public void addPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        database.write(connection -> insert(connection, accountId, deviceId, ONE_TIME, keys));
    }

    @Override
    public void addKyberPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        database.write(connection -> insert(connection, accountId, deviceId, KYBER_ONE_TIME, keys));
    }

    private static Void insert(Connection connection, UUID accountId, int deviceId, int kind, List<PublicPreKey> keys)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT OR REPLACE INTO device_keys (account_id, device_id, kind, key_id, public_key, signature)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            for (PublicPreKey key : keys) {
                insert.setBytes(1, Uuids.toBytes(accountId));
                insert.setInt(2, deviceId);
                insert.setInt(3, kind);
                insert.setInt(4, key.id());
                insert.setBytes(5, key.publicKey());
                insert.setBytes(6, key.signature());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return null;
    }

    @Override
    public Optional<PublicPreKey> signedPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.read(connection -> first(connection, accountId, deviceId, SIGNED));
    }

    @Override
    public Optional<PublicPreKey> takePreKey(UUID accountId, int deviceId) throws StoreException {
        // Through the single writer: the select and the delete cannot interleave with another take.
        return database.write(connection -> take(connection, accountId, deviceId, ONE_TIME));
    }

    @Override
    public Optional<PublicPreKey> takeKyberPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.write(connection -> {
            Optional<PublicPreKey> oneTime = take(connection, accountId, deviceId, KYBER_ONE_TIME);
            return oneTime.isPresent() ? oneTime : first(connection, accountId, deviceId, KYBER_LAST_RESORT);
        });
    }

    private static Optional<PublicPreKey> take(Connection connection, UUID accountId, int deviceId, int kind)
            throws SQLException {
        Optional<PublicPreKey> key = first(connection, accountId, deviceId, kind);
        if (key.isPresent()) {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM device_keys WHERE account_id = ? AND device_id = ? AND kind = ? AND key_id = ?")) {
                delete.setBytes(1, Uuids.toBytes(accountId));
                delete.setInt(2, deviceId);
                delete.setInt(3, kind);
                delete.setInt(4, key.get().id());
                delete.executeUpdate();
            }
        }
        return key;
    }

    private static Optional<PublicPreKey> first(Connection connection, UUID accountId, int deviceId, int kind)
            throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("""
                SELECT key_id, public_key, signature FROM device_keys
                WHERE account_id = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1""")) {
            query.setBytes(1, Uuids.toBytes(accountId));
            query.setInt(2, deviceId);
            query.setInt(3, kind);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next()
                        ? Optional.of(new PublicPreKey(rows.getInt(1), rows.getBytes(2), rows.getBytes(3)))
                        : Optional.empty();
            }
        }
    }

    @Override
    public void deleteAll(UUID accountId) throws StoreException {
        database.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM device_keys WHERE account_id = ?")) {
                delete.setBytes(1, Uuids.toBytes(accountId));
                return delete.executeUpdate();
            }
        });
    }

    @Override
    public KeyCounts count(UUID accountId, int deviceId) throws StoreException {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT kind, count(*) FROM device_keys
                    WHERE account_id = ? AND device_id = ? AND kind IN (?, ?) GROUP BY kind""")) {
                query.setBytes(1, Uuids.toBytes(accountId));
                query.setInt(2, deviceId);
                query.setInt(3, ONE_TIME);
                query.setInt(4, KYBER_ONE_TIME);
                int preKeys = 0;
                int kyber = 0;
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        if (rows.getInt(1) == ONE_TIME) {
                            preKeys = rows.getInt(2);
                        } else {
                            kyber = rows.getInt(2);
                        }
                    }
                }
                return new KeyCounts(preKeys, kyber);
            }
        });
    }
}
