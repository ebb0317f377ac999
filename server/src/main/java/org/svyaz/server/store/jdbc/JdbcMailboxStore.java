// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/**
 * {@link MailboxStore} in SQL that SQLite and PostgreSQL both speak.
 *
 * <p>Delivery reads a device's mailbox from the sequence it last pushed onwards, so for every device
 * the entries must become visible in sequence order. With SQLite's one writer that is automatic;
 * {@code PostgresMailboxStore} locks the recipients' mailboxes before it inserts
 * ({@link #lockMailboxes}).
 */
public class JdbcMailboxStore implements MailboxStore {
    protected final JdbcDatabase database;
    protected final UuidColumns uuids;

    public JdbcMailboxStore(JdbcDatabase database) {
        this.database = database;
        this.uuids = database.uuids();
    }

    @Override
    public boolean insert(List<MailboxEntry> entries, int maxEntriesPerDevice, int maxFromStrangersPerDevice)
            throws StoreException {
        if (entries.isEmpty()) {
            return true;
        }
        return database.write(session -> {
            lockMailboxes(session, entries);
            if ((maxEntriesPerDevice < Integer.MAX_VALUE || maxFromStrangersPerDevice < Integer.MAX_VALUE)
                    && !roomFor(session, entries, maxEntriesPerDevice, maxFromStrangersPerDevice)) {
                return false;
            }
            PreparedStatement insert = session.prepare("""
                    INSERT INTO mailbox (account_id, device_id, guid, envelope, stored_at, from_stranger)
                    VALUES (?, ?, ?, ?, ?, ?)""");
            for (MailboxEntry entry : entries) {
                uuids.set(insert, 1, entry.accountId());
                insert.setInt(2, entry.deviceId());
                insert.setBytes(3, entry.guid());
                insert.setBytes(4, entry.envelope());
                insert.setLong(5, entry.storedAtMillis());
                insert.setBoolean(6, entry.fromStranger());
                insert.addBatch();
            }
            // In list order, so the sequences follow it; a repeated guid fails the whole write.
            insert.executeBatch();
            return true;
        });
    }

    /** What one insert adds to one device's mailbox. */
    private static final class Adding {
        int all;
        int fromStrangers;
    }

    /**
     * Whether every device's mailbox stays within {@code max} entries, and within
     * {@code maxFromStrangers} entries from strangers, with these entries added. Counted inside the
     * insert's write, after {@link #lockMailboxes}: no other insert for these devices can land
     * between the counts and the insert. Strangers' entries are counted only for a device that
     * gets one, through the partial index {@code mailbox_from_strangers}.
     */
    private boolean roomFor(JdbcSession session, List<MailboxEntry> entries, int max, int maxFromStrangers)
            throws SQLException {
        Map<UUID, Map<Integer, Adding>> adding = new HashMap<>();
        for (MailboxEntry entry : entries) {
            Adding device = adding.computeIfAbsent(entry.accountId(), account -> new HashMap<>())
                    .computeIfAbsent(entry.deviceId(), id -> new Adding());
            device.all++;
            if (entry.fromStranger()) {
                device.fromStrangers++;
            }
        }
        for (Map.Entry<UUID, Map<Integer, Adding>> account : adding.entrySet()) {
            for (Map.Entry<Integer, Adding> device : account.getValue().entrySet()) {
                Adding added = device.getValue();
                if (countOf(session, account.getKey(), device.getKey()) + added.all > max) {
                    return false;
                }
                if (added.fromStrangers > 0 && strangersCountOf(session, account.getKey(), device.getKey())
                        + added.fromStrangers > maxFromStrangers) {
                    return false;
                }
            }
        }
        return true;
    }

    private int strangersCountOf(JdbcSession session, UUID accountId, int deviceId) throws SQLException {
        // "AND from_stranger" as the index's own WHERE says it, so both databases use the partial index.
        PreparedStatement query = session.prepare(
                "SELECT count(*) FROM mailbox WHERE account_id = ? AND device_id = ? AND from_stranger");
        uuids.set(query, 1, accountId);
        query.setInt(2, deviceId);
        try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /**
     * Called inside an insert's write before anything is inserted, so that no other insert for
     * these devices draws a sequence until this one is visible. A single writer needs nothing.
     */
    protected void lockMailboxes(JdbcSession session, List<MailboxEntry> entries) throws SQLException {
    }

    @Override
    public List<MailboxEntry> fetch(UUID accountId, int deviceId, long afterSequence, int limit) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("""
                    SELECT seq, guid, envelope, stored_at, from_stranger FROM mailbox
                    WHERE account_id = ? AND device_id = ? AND seq > ? ORDER BY seq LIMIT ?""");
            uuids.set(query, 1, accountId);
            query.setInt(2, deviceId);
            query.setLong(3, afterSequence);
            query.setInt(4, limit);
            List<MailboxEntry> entries = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    entries.add(new MailboxEntry(rows.getLong(1), accountId, deviceId, rows.getBytes(2),
                            rows.getBytes(3), rows.getLong(4), rows.getBoolean(5)));
                }
            }
            return entries;
        });
    }

    @Override
    public boolean delete(UUID accountId, int deviceId, byte[] guid) throws StoreException {
        // Two acknowledgements of one entry race on its row: the second finds it deleted and reports false.
        return delete(accountId, deviceId, List.of(guid)) == 1;
    }

    @Override
    public int delete(UUID accountId, int deviceId, List<byte[]> guids) throws StoreException {
        if (guids.isEmpty()) {
            return 0;
        }
        return database.write(session -> {
            PreparedStatement delete = session.prepare(
                    "DELETE FROM mailbox WHERE account_id = ? AND device_id = ? AND guid = ?");
            for (byte[] guid : guids) {
                uuids.set(delete, 1, accountId);
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
        return database.read(session -> countOf(session, accountId, deviceId));
    }

    /** One read for every device; PostgreSQL overrides it with one query. */
    @Override
    public int largestCount(Map<UUID, ? extends Collection<Integer>> deviceIdsByAccount) throws StoreException {
        return database.read(session -> {
            int largest = 0;
            for (Map.Entry<UUID, ? extends Collection<Integer>> account : deviceIdsByAccount.entrySet()) {
                for (int deviceId : account.getValue()) {
                    largest = Math.max(largest, countOf(session, account.getKey(), deviceId));
                }
            }
            return largest;
        });
    }

    private int countOf(JdbcSession session, UUID accountId, int deviceId) throws SQLException {
        PreparedStatement query = session.prepare("SELECT count(*) FROM mailbox WHERE account_id = ? AND device_id = ?");
        uuids.set(query, 1, accountId);
        query.setInt(2, deviceId);
        try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    @Override
    public int deleteOlderThan(long cutoffMillis) throws StoreException {
        return database.write(session -> {
            PreparedStatement delete = session.prepare("DELETE FROM mailbox WHERE stored_at < ?");
            delete.setLong(1, cutoffMillis);
            return delete.executeUpdate();
        });
    }
}
