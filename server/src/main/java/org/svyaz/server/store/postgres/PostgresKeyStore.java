// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.server.store.PublicPreKey;
import org.svyaz.server.store.jdbc.JdbcKeyStore;
import org.svyaz.server.store.jdbc.JdbcSession;

/**
 * The key store on PostgreSQL, where senders on every node take one-time keys of the same device at
 * once: each take is one {@code DELETE ... RETURNING} of a row it locked with {@code SKIP LOCKED}, so
 * no key goes out twice and no taker waits for another.
 */
final class PostgresKeyStore extends JdbcKeyStore {
    PostgresKeyStore(PostgresDatabase database) {
        super(database);
    }

    /**
     * Takes a transaction-scoped advisory lock for the device, so two uploads of one device on
     * different nodes count its pool one after the other and cannot pass the cap together. The
     * lock's number mixes the ids; two devices that share one only wait for each other.
     */
    @Override
    protected void lockPool(JdbcSession session, UUID accountId, int deviceId) throws SQLException {
        PreparedStatement lock = session.prepare("SELECT pg_advisory_xact_lock(?)");
        lock.setLong(1, accountId.getMostSignificantBits() ^ accountId.getLeastSignificantBits()
                ^ ((long) deviceId * 0x9E3779B97F4A7C15L));
        try (ResultSet rows = lock.executeQuery()) {
            rows.next();
        }
    }

    /** One upsert on the partial unique index {@code device_keys_single}: two racing uploads leave one key. */
    @Override
    protected void replaceSingle(JdbcSession session, UUID accountId, int deviceId, int kind, PublicPreKey key)
            throws SQLException {
        PreparedStatement upsert = session.prepare("""
                INSERT INTO device_keys (account_id, device_id, kind, key_id, public_key, signature)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id, device_id, kind) WHERE kind IN (1, 4) DO UPDATE
                SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature""");
        bind(upsert, accountId, deviceId, kind, key);
        upsert.executeUpdate();
    }

    /**
     * Deletes and returns the lowest-id key of the pool that no other transaction holds. A key locked
     * by another taker is as good as gone (it will be deleted when that taker commits), so skipping it
     * hands out the next one instead of waiting.
     */
    @Override
    protected Optional<PublicPreKey> take(JdbcSession session, UUID accountId, int deviceId, int kind)
            throws SQLException {
        PreparedStatement delete = session.prepare("""
                DELETE FROM device_keys WHERE (account_id, device_id, kind, key_id) = (
                  SELECT account_id, device_id, kind, key_id FROM device_keys
                  WHERE account_id = ? AND device_id = ? AND kind = ?
                  ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING key_id, public_key, signature""");
        delete.setObject(1, accountId);
        delete.setInt(2, deviceId);
        delete.setShort(3, (short) kind);
        try (ResultSet rows = delete.executeQuery()) {
            return rows.next() ? Optional.of(preKey(rows)) : Optional.empty();
        }
    }
}
