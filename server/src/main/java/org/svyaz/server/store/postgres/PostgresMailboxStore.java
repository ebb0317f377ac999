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
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcMailboxStore;
import org.svyaz.server.store.jdbc.JdbcSession;

/**
 * The mailbox store on PostgreSQL.
 *
 * <p>Senders on every node insert at once, and a sequence is drawn before its transaction commits,
 * so an entry could become visible after a higher sequence was already pushed, and delivery would
 * skip it until the device reconnects. So an insert first locks one {@code mailbox_locks} row per
 * recipient device, in a fixed order (no deadlocks), and draws sequences only while holding them.
 * The next insert for that device waits until this one is committed and visible. Row locks live in
 * the rows, not in the server's shared lock table, so a send to a thousand devices takes a
 * thousand of them without exhausting it. Inserts for different devices do not wait for each other.
 */
final class PostgresMailboxStore extends JdbcMailboxStore {
    private static final Comparator<MailboxEntry> BY_DEVICE =
            Comparator.comparing(MailboxEntry::accountId).thenComparingInt(MailboxEntry::deviceId);

    PostgresMailboxStore(PostgresDatabase database) {
        super(database);
    }

    /** Creates the lock rows of devices that never had mail, then locks every recipient device's row, sorted. */
    @Override
    protected void lockMailboxes(JdbcSession session, List<MailboxEntry> entries) throws SQLException {
        TreeSet<MailboxEntry> devices = new TreeSet<>(BY_DEVICE);
        devices.addAll(entries);
        Connection connection = session.connection();
        Array accounts = connection.createArrayOf("uuid", devices.stream().map(MailboxEntry::accountId).toArray());
        Array deviceIds = connection.createArrayOf("int4", devices.stream().map(MailboxEntry::deviceId).toArray());
        PreparedStatement create = session.prepare("""
                INSERT INTO mailbox_locks (account_id, device_id)
                SELECT * FROM unnest(?::uuid[], ?::integer[]) ORDER BY 1, 2
                ON CONFLICT DO NOTHING""");
        create.setArray(1, accounts);
        create.setArray(2, deviceIds);
        create.executeUpdate();
        // Sorted before locking (LockRows sits above the Sort), so two inserts take shared devices in the same order.
        PreparedStatement lock = session.prepare("""
                SELECT 1 FROM mailbox_locks
                WHERE (account_id, device_id) IN (SELECT * FROM unnest(?::uuid[], ?::integer[]))
                ORDER BY account_id, device_id FOR UPDATE""");
        lock.setArray(1, accounts);
        lock.setArray(2, deviceIds);
        try (ResultSet rows = lock.executeQuery()) {
            while (rows.next()) {
                // Each row read is a lock taken.
            }
        }
    }

    /** One round trip for every device, not one each. */
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
        return database.read(session -> {
            PreparedStatement query = session.prepare("""
                    SELECT coalesce(max(n), 0) FROM (
                      SELECT count(*) AS n FROM mailbox m
                      JOIN unnest(?::uuid[], ?::integer[]) AS t(account_id, device_id)
                        ON m.account_id = t.account_id AND m.device_id = t.device_id
                      GROUP BY m.account_id, m.device_id) counts""");
            query.setArray(1, session.connection().createArrayOf("uuid", accounts.toArray()));
            query.setArray(2, session.connection().createArrayOf("integer", devices.toArray()));
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        });
    }
}
