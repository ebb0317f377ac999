// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/**
 * {@link MailboxStore} on PostgreSQL.
 *
 * <p>Delivery reads a device's mailbox from the sequence it last pushed onwards, so for every
 * device the entries must become visible in sequence order: an entry that commits after a higher
 * sequence was already pushed would be skipped until the device reconnects. With one writer
 * (SQLite) that is automatic. Here senders on every node insert at once and a sequence is drawn
 * before its transaction commits, so an insert first locks one {@code mailbox_locks} row per
 * recipient device, in a fixed order (no deadlocks), and draws sequences only while holding them.
 * The next insert for that device waits until this one is committed and visible. Row locks live in
 * the rows, not in the server's shared lock table, so a send to a thousand devices takes a
 * thousand of them without exhausting it. Inserts for different devices do not wait for each other.
 */
public final class PostgresMailboxStore implements MailboxStore {
    private static final Comparator<MailboxEntry> BY_DEVICE =
            Comparator.comparing(MailboxEntry::accountId).thenComparingInt(MailboxEntry::deviceId);

    private final PostgresDatabase database;

    public PostgresMailboxStore(PostgresDatabase database) {
        this.database = database;
    }

    @Override
    public void insert(List<MailboxEntry> entries) throws StoreException {
        if (entries.isEmpty()) {
            return;
        }
        database.transaction(connection -> {
            lockMailboxes(connection, entries);
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO mailbox (account_id, device_id, guid, envelope, stored_at) VALUES (?, ?, ?, ?, ?)""")) {
                for (MailboxEntry entry : entries) {
                    insert.setObject(1, entry.accountId());
                    insert.setInt(2, entry.deviceId());
                    insert.setBytes(3, entry.guid());
                    insert.setBytes(4, entry.envelope());
                    insert.setLong(5, entry.storedAtMillis());
                    insert.addBatch();
                }
                // In list order, so the sequences follow it; a repeated guid fails the whole transaction.
                insert.executeBatch();
            }
            return null;
        });
    }

    /** Creates the lock rows of devices that never had mail, then locks every recipient device's row, sorted. */
    private static void lockMailboxes(Connection connection, List<MailboxEntry> entries) throws SQLException {
        TreeSet<MailboxEntry> devices = new TreeSet<>(BY_DEVICE);
        devices.addAll(entries);
        Array accounts = connection.createArrayOf("uuid", devices.stream().map(MailboxEntry::accountId).toArray());
        Array deviceIds = connection.createArrayOf("int4", devices.stream().map(MailboxEntry::deviceId).toArray());
        try (PreparedStatement create = connection.prepareStatement("""
                INSERT INTO mailbox_locks (account_id, device_id)
                SELECT * FROM unnest(?::uuid[], ?::integer[]) ORDER BY 1, 2
                ON CONFLICT DO NOTHING""")) {
            create.setArray(1, accounts);
            create.setArray(2, deviceIds);
            create.executeUpdate();
        }
        // Sorted before locking (LockRows sits above the Sort), so two inserts take shared devices in the same order.
        try (PreparedStatement lock = connection.prepareStatement("""
                SELECT 1 FROM mailbox_locks
                WHERE (account_id, device_id) IN (SELECT * FROM unnest(?::uuid[], ?::integer[]))
                ORDER BY account_id, device_id FOR UPDATE""")) {
            lock.setArray(1, accounts);
            lock.setArray(2, deviceIds);
            try (ResultSet rows = lock.executeQuery()) {
                while (rows.next()) {
                    // Each row read is a lock taken.
                }
            }
        }
    }

    @Override
    public List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT seq, guid, envelope, stored_at FROM mailbox
                    WHERE account_id = ? AND device_id = ? AND seq > ? ORDER BY seq LIMIT ?""")) {
                query.setObject(1, accountId);
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
            }
        });
    }

    @Override
    public boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException {
        // Two acknowledgements of one entry race on its row: the second finds it deleted and reports false.
        return database.run(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM mailbox WHERE account_id = ? AND device_id = ? AND guid = ?")) {
                delete.setObject(1, accountId);
                delete.setInt(2, deviceId);
                delete.setBytes(3, guid);
                return delete.executeUpdate() == 1;
            }
        });
    }

    @Override
    public int count(UUID accountId, int deviceId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT count(*) FROM mailbox WHERE account_id = ? AND device_id = ?")) {
                query.setObject(1, accountId);
                query.setInt(2, deviceId);
                try (ResultSet rows = query.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    @Override
    public int largestCount(Map<UUID, ? extends Collection<Integer>> deviceIdsByAccount) throws StoreException {
        List<UUID> accounts = new ArrayList<>();
        List<Integer> devices = new ArrayList<>();
        deviceIdsByAccount.forEach((account, deviceIds) -> deviceIds.forEach(deviceId -> {
            accounts.add(account);
            devices.add(deviceId);
        }));
        if (accounts.isEmpty()) {
            return 0;
        }
        return database.run(connection -> {
            // One round trip for every device, not one each.
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT coalesce(max(n), 0) FROM (
                      SELECT count(*) AS n FROM mailbox m
                      JOIN unnest(?::uuid[], ?::integer[]) AS t(account_id, device_id)
                        ON m.account_id = t.account_id AND m.device_id = t.device_id
                      GROUP BY m.account_id, m.device_id) counts""")) {
                query.setArray(1, connection.createArrayOf("uuid", accounts.toArray()));
                query.setArray(2, connection.createArrayOf("integer", devices.toArray()));
                try (ResultSet rows = query.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    @Override
    public int deleteOlderThan(long cutoffMillis) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM mailbox WHERE stored_at < ?")) {
                delete.setLong(1, cutoffMillis);
                return delete.executeUpdate();
            }
        });
    }
}
