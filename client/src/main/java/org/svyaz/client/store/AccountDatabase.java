// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One account's local database ({@code account.db}): its keys and settings, the libsignal protocol
 * state, contacts, received-envelope ids for deduplication and the local inbox.
 *
 * <p>One connection, guarded by a lock: libsignal calls the stores synchronously during encrypt and
 * decrypt, and {@link #inTransaction} lets a decrypt and the recording of its result commit together.
 * When modifying a CREATE statement here, add a migration step instead.
 */
public final class AccountDatabase implements AutoCloseable {
    static final int VERSION = 11;

    /** Work inside a transaction. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E, SQLException;
    }

    private final Connection connection;
    private final Path file;
    private final ReentrantLock lock = new ReentrantLock();

    private AccountDatabase(Connection connection, Path file) {
        this.connection = connection;
        this.file = file;
    }

    /** The account's directory, where the database and received files live. */
    public Path directory() {
        return file.toAbsolutePath().getParent();
    }

    public static AccountDatabase open(Path file) throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA journal_mode=WAL");
            statement.execute("PRAGMA synchronous=FULL");
            statement.execute("PRAGMA busy_timeout=10000");
            // Deleted rows (expired messages) are overwritten with zeros, not just unlinked.
            statement.execute("PRAGMA secure_delete=ON");
        }
        migrate(connection);
        return new AccountDatabase(connection, file);
    }

    private static void migrate(Connection connection) throws SQLException {
        int version;
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("PRAGMA user_version")) {
            version = rows.next() ? rows.getInt(1) : 0;
        }
        if (version > VERSION) {
            throw new SQLException("this account was written by a newer Svyaz (schema " + version + ")");
        }
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            if (version < 1) {
                s.execute("CREATE TABLE settings (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT");
                s.execute("""
                        CREATE TABLE identities (
                          address TEXT PRIMARY KEY,
                          identity_key BLOB NOT NULL,
                          trust INTEGER NOT NULL,
                          added_at INTEGER NOT NULL
                        ) STRICT""");
                s.execute("""
                        CREATE TABLE sessions (
                          address TEXT NOT NULL,
                          device_id INTEGER NOT NULL,
                          record BLOB NOT NULL,
                          PRIMARY KEY (address, device_id)
                        ) STRICT""");
                s.execute("CREATE TABLE pre_keys (id INTEGER PRIMARY KEY, record BLOB NOT NULL) STRICT");
                s.execute("CREATE TABLE signed_pre_keys (id INTEGER PRIMARY KEY, record BLOB NOT NULL) STRICT");
                s.execute("""
                        CREATE TABLE kyber_pre_keys (
                          id INTEGER PRIMARY KEY,
                          record BLOB NOT NULL,
                          last_resort INTEGER NOT NULL
                        ) STRICT""");
                s.execute("""
                        CREATE TABLE kyber_base_keys_seen (
                          kyber_id INTEGER NOT NULL,
                          signed_id INTEGER NOT NULL,
                          base_key BLOB NOT NULL,
                          PRIMARY KEY (kyber_id, signed_id, base_key)
                        ) STRICT""");
                s.execute("""
                        CREATE TABLE sender_keys (
                          address TEXT NOT NULL,
                          device_id INTEGER NOT NULL,
                          distribution_id TEXT NOT NULL,
                          record BLOB NOT NULL,
                          PRIMARY KEY (address, device_id, distribution_id)
                        ) STRICT""");
                s.execute("""
                        CREATE TABLE contacts (
                          account_id TEXT PRIMARY KEY,
                          username TEXT NOT NULL UNIQUE
                        ) STRICT""");
                s.execute("CREATE TABLE received_envelopes (guid BLOB PRIMARY KEY, received_at INTEGER NOT NULL) STRICT");
                s.execute("""
                        CREATE TABLE inbox (
                          id INTEGER PRIMARY KEY AUTOINCREMENT,
                          source_account TEXT NOT NULL,
                          source_username TEXT,
                          source_device INTEGER NOT NULL,
                          timestamp INTEGER NOT NULL,
                          server_timestamp INTEGER NOT NULL,
                          body TEXT,
                          error TEXT,
                          untrusted INTEGER NOT NULL,
                          shown INTEGER NOT NULL DEFAULT 0
                        ) STRICT""");
            }
            if (version < 2) {
                s.execute("""
                        CREATE TABLE profile_keys (
                          account_id TEXT PRIMARY KEY,
                          profile_key BLOB NOT NULL
                        ) STRICT""");
            }
            if (version < 3) {
                s.execute("""
                        CREATE TABLE profile_names (
                          account_id TEXT PRIMARY KEY,
                          name TEXT,
                          fetched_at INTEGER NOT NULL
                        ) STRICT""");
            }
            if (version < 4) {
                s.execute("CREATE TABLE conversations (account_id TEXT PRIMARY KEY, expire_seconds INTEGER NOT NULL) STRICT");
                s.execute("ALTER TABLE inbox ADD COLUMN expire_seconds INTEGER NOT NULL DEFAULT 0");
                s.execute("ALTER TABLE inbox ADD COLUMN expires_at INTEGER");
                s.execute("ALTER TABLE inbox ADD COLUMN timer_update INTEGER NOT NULL DEFAULT 0");
                s.execute("CREATE INDEX inbox_by_expiry ON inbox (expires_at) WHERE expires_at IS NOT NULL");
            }
            if (version < 5) {
                // Serialized StoredAttachments (content.proto); empty for messages without files.
                s.execute("ALTER TABLE inbox ADD COLUMN attachments BLOB");
            }
            if (version < 6) {
                migrateToSignals(s);
            }
            if (version < 7) {
                // state: a serialized GroupState (content.proto); distribution_id: this device's
                // sender key for the group.
                s.execute("""
                        CREATE TABLE groups (
                          id BLOB PRIMARY KEY,
                          state BLOB NOT NULL,
                          distribution_id TEXT NOT NULL,
                          member INTEGER NOT NULL
                        ) STRICT""");
                s.execute("""
                        CREATE TABLE sender_key_holders (
                          group_id BLOB NOT NULL,
                          distribution_id TEXT NOT NULL,
                          account_id TEXT NOT NULL,
                          device_id INTEGER NOT NULL,
                          PRIMARY KEY (group_id, distribution_id, account_id, device_id)
                        ) STRICT""");
                s.execute("ALTER TABLE inbox ADD COLUMN group_id BLOB");
                s.execute("ALTER TABLE inbox ADD COLUMN group_update INTEGER NOT NULL DEFAULT 0");
            }
            if (version < 8) {
                // When this user read a received message (the app marks it; read receipts say so).
                // Messages from before count as read: the CLI showed them, and no chat should start
                // with every old message unread.
                s.execute("ALTER TABLE inbox ADD COLUMN read_at INTEGER");
                s.execute("UPDATE inbox SET read_at = server_timestamp");
                s.execute("CREATE INDEX inbox_unread ON inbox (source_account) WHERE read_at IS NULL");
            }
            if (version < 9) {
                // The files of a sent message, as copies kept here (a StoredAttachments), so the
                // conversation still shows and plays them after the sender's originals are gone.
                s.execute("ALTER TABLE sent ADD COLUMN attachments BLOB");
            }
            if (version < 10) {
                // The message a sent reply quotes, as inbox keeps it for received replies, so the
                // conversation still shows the quote after a restart.
                s.execute("ALTER TABLE sent ADD COLUMN quote_id INTEGER");
                s.execute("ALTER TABLE sent ADD COLUMN quote_author TEXT");
                s.execute("ALTER TABLE sent ADD COLUMN quote_text TEXT");
            }
            if (version < 11) {
                // The call log: one row per call, from the call messages sent and received (LocalCalls).
                s.execute("""
                        CREATE TABLE calls (
                          peer_account TEXT NOT NULL,
                          call_id INTEGER NOT NULL,
                          outgoing INTEGER NOT NULL,
                          video INTEGER NOT NULL,
                          started_at INTEGER NOT NULL,
                          answered_at INTEGER,
                          ended_at INTEGER,
                          end_type TEXT,
                          ended_by_me INTEGER,
                          PRIMARY KEY (peer_account, call_id)
                        ) STRICT""");
                s.execute("CREATE INDEX calls_by_time ON calls (started_at)");
            }
            s.execute("PRAGMA user_version = " + VERSION);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * Version 6: what this device sent, receipts, reactions, quotes, edits and deletes (see
     * {@link LocalSignals}). A conversation is named by the other account's id; a group's id can
     * later name one the same way.
     */
    private static void migrateToSignals(Statement s) throws SQLException {
        // Messages with a body or files this device sent, so receipts, reactions, edits and deletes
        // can find them. The sender's disappearing timer starts when it sends (expires_at).
        s.execute("""
                CREATE TABLE sent (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  conversation TEXT NOT NULL,
                  timestamp INTEGER NOT NULL,
                  body TEXT,
                  expires_at INTEGER,
                  edited_at INTEGER,
                  remote_deleted INTEGER NOT NULL DEFAULT 0,
                  UNIQUE (conversation, timestamp)
                ) STRICT""");
        s.execute("CREATE INDEX sent_by_expiry ON sent (expires_at) WHERE expires_at IS NOT NULL");
        // Per sent message and recipient: when the recipient's device said it arrived, was read, viewed.
        s.execute("""
                CREATE TABLE receipts (
                  sent_id INTEGER NOT NULL,
                  account TEXT NOT NULL,
                  delivered_at INTEGER,
                  read_at INTEGER,
                  viewed_at INTEGER,
                  PRIMARY KEY (sent_id, account)
                ) STRICT""");
        // One reaction per reactor and message; a message is its author and sent timestamp.
        s.execute("""
                CREATE TABLE reactions (
                  conversation TEXT NOT NULL,
                  target_author TEXT NOT NULL,
                  target_timestamp INTEGER NOT NULL,
                  reactor TEXT NOT NULL,
                  emoji TEXT NOT NULL,
                  reacted_at INTEGER NOT NULL,
                  PRIMARY KEY (conversation, target_author, target_timestamp, reactor)
                ) STRICT""");
        // Receipts this device owes (type: ReceiptMessage.Type number), sent by the next receive.
        s.execute("""
                CREATE TABLE owed_receipts (
                  account TEXT NOT NULL,
                  type INTEGER NOT NULL,
                  timestamp INTEGER NOT NULL,
                  PRIMARY KEY (account, type, timestamp)
                ) STRICT""");
        s.execute("ALTER TABLE inbox ADD COLUMN quote_id INTEGER");
        s.execute("ALTER TABLE inbox ADD COLUMN quote_author TEXT");
        s.execute("ALTER TABLE inbox ADD COLUMN quote_text TEXT");
        s.execute("ALTER TABLE inbox ADD COLUMN edited_at INTEGER");
        s.execute("ALTER TABLE inbox ADD COLUMN remote_deleted INTEGER NOT NULL DEFAULT 0");
        // A serialized StoredSignal (content.proto) for rows that are a receipt, typing notice,
        // reaction, edit or delete rather than a message; such a row is deleted once shown.
        s.execute("ALTER TABLE inbox ADD COLUMN signal BLOB");
        s.execute("CREATE INDEX inbox_by_message ON inbox (source_account, timestamp)");
    }

    /** Runs {@code work} holding the database lock; statements inside see and make one consistent state. */
    public <T, E extends Exception> T locked(Work<T, E> work) throws E {
        lock.lock();
        try {
            return work.run();
        } catch (SQLException e) {
            throw new LocalStoreException("local database failure: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} in one transaction: everything it writes commits together or not at all. */
    public <T, E extends Exception> T inTransaction(Work<T, E> work) throws E {
        return locked(() -> {
            boolean outer = connection.getAutoCommit();
            if (!outer) {
                return work.run(); // already inside a transaction
            }
            connection.setAutoCommit(false);
            try {
                T result = work.run();
                connection.commit();
                return result;
            } catch (Exception | Error e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        });
    }

    /** The connection, for the store classes of this package; callers hold the lock. */
    Connection connection() {
        return connection;
    }

    public byte[] setting(String name) {
        return locked(() -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
                q.setString(1, name);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? rows.getBytes(1) : null;
                }
            }
        });
    }

    public void setSetting(String name, byte[] value) {
        locked(() -> {
            try (PreparedStatement u = connection.prepareStatement(
                    "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)")) {
                u.setString(1, name);
                u.setBytes(2, value);
                return u.executeUpdate();
            }
        });
    }

    /** Moves the WAL into the database file and empties it, so deleted content leaves no copy there. */
    public void checkpoint() {
        locked(() -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            return null;
        });
    }

    public void deleteSetting(String name) {
        locked(() -> {
            try (PreparedStatement u = connection.prepareStatement("DELETE FROM settings WHERE name = ?")) {
                u.setString(1, name);
                return u.executeUpdate();
            }
        });
    }

    @Override
    public void close() {
        locked(() -> {
            connection.close();
            return null;
        });
    }
}
