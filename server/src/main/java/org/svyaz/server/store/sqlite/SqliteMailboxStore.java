// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.svyaz.protocol.Uuids;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/** {@link MailboxStore} on the embedded SQLite database. */
public final class SqliteMailboxStore implements MailboxStore {
    private final SqliteDatabase database;

    public SqliteMailboxStore(SqliteDatabase database) {
        this.database = database;
    }

    @Override
    public void insert(List<MailboxEntry> entries) throws StoreException {
        database.write(connection -> {
            PreparedStatement insert = database.prepared(connection, """
                    INSERT INTO mailbox (account_id, device_id, guid, envelope, stored_at) VALUES (?, ?, ?, ?, ?)""");
            for (MailboxEntry entry : entries) {
                insert.setBytes(1, Uuids.toBytes(entry.accountId()));
                insert.setInt(2, entry.deviceId());
                insert.setBytes(3, entry.guid());
                insert.setBytes(4, entry.envelope());
                insert.setLong(5, entry.storedAtMillis());
                insert.addBatch();
            }
            insert.executeBatch();
            return null;
        });
    }

    @Override
    public List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit) throws StoreException {
        return database.read(connection -> {
            PreparedStatement query = database.prepared(connection, """
                    SELECT seq, guid, envelope, stored_at FROM mailbox
                    WHERE account_id = ? AND device_id = ? AND seq > ? ORDER BY seq LIMIT ?""");
            query.setBytes(1, Uuids.toBytes(accountId));
            query.setInt(2, deviceId);
            query.setLong(3, afterSequence);
            query.setInt(4, limit);
            List<MailboxEntry> entries = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    entries.add(new MailboxEntry(rows.getLong(1), accountId, deviceId, rows.getBytes(2),
                            rows.getBytes(3), rows.getLong(4)));
                }
            }
            return entries;
        });
    }

    @Override
    public boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException {
        return database.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM mailbox WHERE account_id = ? AND device_id = ? AND guid = ?")) {
                delete.setBytes(1, Uuids.toBytes(accountId));
                delete.setInt(2, deviceId);
                delete.setBytes(3, guid);
                return delete.executeUpdate() == 1;
            }
        });
    }

    @Override
    public int delete(UUID accountId, int deviceId, List<byte[]> guids) throws StoreException {
        return database.write(connection -> {
            PreparedStatement delete = database.prepared(connection,
                    "DELETE FROM mailbox WHERE account_id = ? AND device_id = ? AND guid = ?");
            byte[] account = Uuids.toBytes(accountId);
            for (byte[] guid : guids) {
                delete.setBytes(1, account);
                delete.setInt(2, deviceId);
                delete.setBytes(3, guid);
                delete.addBatch();
            }
            int deleted = 0;
            for (int count : delete.executeBatch()) {
                deleted += Math.max(0, count);
            }
            return deleted;
        });
    }

    @Override
    public int count(UUID accountId, int deviceId) throws StoreException {
        return database.read(connection -> countOf(connection, accountId, deviceId));
    }

    @Override
    public int largestCount(Map<UUID, ? extends Collection<Integer>> deviceIdsByAccount) throws StoreException {
        return database.read(connection -> {
            int largest = 0;
            for (Map.Entry<UUID, ? extends Collection<Integer>> account : deviceIdsByAccount.entrySet()) {
                for (int deviceId : account.getValue()) {
                    largest = Math.max(largest, countOf(connection, account.getKey(), deviceId));
                }
            }
            return largest;
        });
    }

    private int countOf(Connection connection, UUID accountId, int deviceId) throws SQLException {
        PreparedStatement query = database.prepared(connection,
                "SELECT count(*) FROM mailbox WHERE account_id = ? AND device_id = ?");
        query.setBytes(1, Uuids.toBytes(accountId));
        query.setInt(2, deviceId);
        try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    @Override
    public int deleteOlderThan(long cutoffMillis) throws StoreException {
        return database.write(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM mailbox WHERE stored_at < ?")) {
                delete.setLong(1, cutoffMillis);
                return delete.executeUpdate();
            }
        });
    }
}
