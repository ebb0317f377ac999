// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.server.store.DeviceKeys;
import org.svyaz.server.store.KeyCounts;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.PublicPreKey;
import org.svyaz.server.store.StoreException;

/**
 * {@link KeyStore} in SQL that SQLite and PostgreSQL both speak: every kind of key in one
 * {@code device_keys} table, told apart by kind. As written here a one-time key is taken by a read
 * and a delete, which is safe because SQLite runs every write on its one writer thread;
 * {@code PostgresKeyStore} overrides the take and the replacement of a single key for many writers.
 */
public class JdbcKeyStore implements KeyStore {
    protected static final int SIGNED = 1;
    protected static final int ONE_TIME = 2;
    protected static final int KYBER_ONE_TIME = 3;
    protected static final int KYBER_LAST_RESORT = 4;

    protected final JdbcDatabase database;
    protected final UuidColumns uuids;

    public JdbcKeyStore(JdbcDatabase database) {
        this.database = database;
        this.uuids = database.uuids();
    }

    @Override
    public void setSignedPreKey(UUID accountId, int deviceId, PublicPreKey key) throws StoreException {
        database.write(session -> {
            replaceSingle(session, accountId, deviceId, SIGNED, key);
            return null;
        });
    }

    @Override
    public void setKyberLastResort(UUID accountId, int deviceId, PublicPreKey key) throws StoreException {
        database.write(session -> {
            replaceSingle(session, accountId, deviceId, KYBER_LAST_RESORT, key);
            return null;
        });
    }

    /** Replaces the device's one key of {@code kind} (signed or last resort) with {@code key}. */
    protected void replaceSingle(JdbcSession session, UUID accountId, int deviceId, int kind, PublicPreKey key)
            throws SQLException {
        PreparedStatement delete = session.prepare(
                "DELETE FROM device_keys WHERE account_id = ? AND device_id = ? AND kind = ?");
        uuids.set(delete, 1, accountId);
        delete.setInt(2, deviceId);
        delete.setShort(3, (short) kind);
        delete.executeUpdate();
        addOneTime(session, accountId, deviceId, kind, List.of(key));
    }

    @Override
    public boolean addPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        return addOneTime(accountId, deviceId, ONE_TIME, keys);
    }

    @Override
    public boolean addKyberPreKeys(UUID accountId, int deviceId, List<PublicPreKey> keys) throws StoreException {
        return addOneTime(accountId, deviceId, KYBER_ONE_TIME, keys);
    }

    /**
     * Inserts, then counts the pool in the same transaction and rolls back if it is over the cap:
     * counting after the insert counts a replaced id once, as the pool holds it.
     */
    private boolean addOneTime(UUID accountId, int deviceId, int kind, List<PublicPreKey> keys) throws StoreException {
        if (keys.isEmpty()) {
            return true;
        }
        return database.write(session -> {
            lockPool(session, accountId, deviceId);
            addOneTime(session, accountId, deviceId, kind, keys);
            if (poolSize(session, accountId, deviceId, kind) > MAX_ONE_TIME_KEYS_PER_DEVICE) {
                session.rollback();
                return false;
            }
            return true;
        });
    }

    /**
     * Keeps other uploads of the device out until this transaction ends. Nothing to do here: SQLite
     * runs every write on its one writer thread. PostgreSQL locks the device's row.
     */
    protected void lockPool(JdbcSession session, UUID accountId, int deviceId) throws SQLException {
    }

    private int poolSize(JdbcSession session, UUID accountId, int deviceId, int kind) throws SQLException {
        PreparedStatement query = session.prepare(
                "SELECT count(*) FROM device_keys WHERE account_id = ? AND device_id = ? AND kind = ?");
        uuids.set(query, 1, accountId);
        query.setInt(2, deviceId);
        query.setShort(3, (short) kind);
        try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private void addOneTime(JdbcSession session, UUID accountId, int deviceId, int kind, List<PublicPreKey> keys)
            throws SQLException {
        // One upsert may not touch a row twice on PostgreSQL: a repeated id keeps its last key.
        Map<Integer, PublicPreKey> byId = new LinkedHashMap<>();
        for (PublicPreKey key : keys) {
            byId.put(key.id(), key);
        }
        PreparedStatement upsert = session.prepare("""
                INSERT INTO device_keys (account_id, device_id, kind, key_id, public_key, signature)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id, device_id, kind, key_id) DO UPDATE
                SET public_key = excluded.public_key, signature = excluded.signature""");
        for (PublicPreKey key : byId.values()) {
            bind(upsert, accountId, deviceId, kind, key);
            upsert.addBatch();
        }
        upsert.executeBatch();
    }

    /** Binds the six columns of a {@code device_keys} row, in table order. */
    protected void bind(PreparedStatement statement, UUID accountId, int deviceId, int kind, PublicPreKey key)
            throws SQLException {
        uuids.set(statement, 1, accountId);
        statement.setInt(2, deviceId);
        statement.setShort(3, (short) kind);
        statement.setInt(4, key.id());
        statement.setBytes(5, key.publicKey());
        statement.setBytes(6, key.signature());
    }

    @Override
    public Optional<PublicPreKey> signedPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.read(session -> first(session, accountId, deviceId, SIGNED));
    }

    @Override
    public Optional<PublicPreKey> kyberLastResort(UUID accountId, int deviceId) throws StoreException {
        return database.read(session -> first(session, accountId, deviceId, KYBER_LAST_RESORT));
    }

    @Override
    public Optional<PublicPreKey> takePreKey(UUID accountId, int deviceId) throws StoreException {
        return database.write(session -> take(session, accountId, deviceId, ONE_TIME));
    }

    @Override
    public Optional<PublicPreKey> takeKyberPreKey(UUID accountId, int deviceId) throws StoreException {
        return database.write(session -> {
            Optional<PublicPreKey> oneTime = take(session, accountId, deviceId, KYBER_ONE_TIME);
            return oneTime.isPresent() ? oneTime : first(session, accountId, deviceId, KYBER_LAST_RESORT);
        });
    }

    /** Deletes and returns the lowest-id key of the pool; the single writer keeps the read and the delete together. */
    protected Optional<PublicPreKey> take(JdbcSession session, UUID accountId, int deviceId, int kind)
            throws SQLException {
        Optional<PublicPreKey> key = first(session, accountId, deviceId, kind);
        if (key.isPresent()) {
            PreparedStatement delete = session.prepare(
                    "DELETE FROM device_keys WHERE account_id = ? AND device_id = ? AND kind = ? AND key_id = ?");
            uuids.set(delete, 1, accountId);
            delete.setInt(2, deviceId);
            delete.setShort(3, (short) kind);
            delete.setInt(4, key.get().id());
            delete.executeUpdate();
        }
        return key;
    }

    private Optional<PublicPreKey> first(JdbcSession session, UUID accountId, int deviceId, int kind)
            throws SQLException {
        PreparedStatement query = session.prepare("""
                SELECT key_id, public_key, signature FROM device_keys
                WHERE account_id = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1""");
        uuids.set(query, 1, accountId);
        query.setInt(2, deviceId);
        query.setShort(3, (short) kind);
        try (ResultSet rows = query.executeQuery()) {
            return rows.next() ? Optional.of(preKey(rows)) : Optional.empty();
        }
    }

    /** The key in the first three columns of the current row: id, public key, signature. */
    protected static PublicPreKey preKey(ResultSet rows) throws SQLException {
        return new PublicPreKey(rows.getInt(1), rows.getBytes(2), rows.getBytes(3));
    }

    @Override
    public void deleteAll(UUID accountId) throws StoreException {
        database.write(session -> {
            deleteAll(session, accountId);
            return null;
        });
    }

    /** Removes every key of every device of the account, inside the caller's transaction. */
    void deleteAll(JdbcSession session, UUID accountId) throws SQLException {
        PreparedStatement delete = session.prepare("DELETE FROM device_keys WHERE account_id = ?");
        uuids.set(delete, 1, accountId);
        delete.executeUpdate();
    }

    /**
     * Stores a device's first keys inside the caller's transaction ({@link JdbcAccountStore}'s
     * create and identity reset): the device has no keys yet, so nothing is replaced and no cap
     * can be passed (one upload carries at most the cap).
     */
    void insertDeviceKeys(JdbcSession session, UUID accountId, int deviceId, DeviceKeys keys) throws SQLException {
        if (keys.signedPreKey().isPresent()) {
            addOneTime(session, accountId, deviceId, SIGNED, List.of(keys.signedPreKey().get()));
        }
        if (keys.kyberLastResort().isPresent()) {
            addOneTime(session, accountId, deviceId, KYBER_LAST_RESORT, List.of(keys.kyberLastResort().get()));
        }
        if (!keys.preKeys().isEmpty()) {
            addOneTime(session, accountId, deviceId, ONE_TIME, keys.preKeys());
        }
        if (!keys.kyberPreKeys().isEmpty()) {
            addOneTime(session, accountId, deviceId, KYBER_ONE_TIME, keys.kyberPreKeys());
        }
    }

    @Override
    public KeyCounts count(UUID accountId, int deviceId) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("""
                    SELECT kind, count(*) FROM device_keys
                    WHERE account_id = ? AND device_id = ? AND kind IN (?, ?) GROUP BY kind""");
            uuids.set(query, 1, accountId);
            query.setInt(2, deviceId);
            query.setShort(3, (short) ONE_TIME);
            query.setShort(4, (short) KYBER_ONE_TIME);
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
        });
    }
}
