// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The server's SQLite schema, migrated with a ladder on {@code PRAGMA user_version}.
 * When changing a CREATE statement here, add a migration step instead of editing an old one.
 */
final class SqliteSchema {
    static final int VERSION = 4;

    private SqliteSchema() {}

    static void migrate(Connection connection) throws SQLException {
        int version;
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("PRAGMA user_version")) {
            version = rows.next() ? rows.getInt(1) : 0;
        }
        if (version > VERSION) {
            throw new SQLException("the database was written by a newer Svyaz (schema " + version + ")");
        }
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            if (version < 1) {
                statement.execute("""
                        CREATE TABLE accounts (
                          id BLOB PRIMARY KEY,
                          identity_key BLOB NOT NULL,
                          created_at INTEGER NOT NULL
                        ) STRICT""");
                statement.execute("""
                        CREATE TABLE devices (
                          account_id BLOB NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                          device_id INTEGER NOT NULL,
                          registration_id INTEGER NOT NULL,
                          credential_salt BLOB NOT NULL,
                          credential_hash BLOB NOT NULL,
                          created_at INTEGER NOT NULL,
                          PRIMARY KEY (account_id, device_id)
                        ) STRICT""");
                statement.execute("""
                        CREATE TABLE usernames (
                          hash BLOB PRIMARY KEY,
                          account_id BLOB NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE
                        ) STRICT""");
                statement.execute("""
                        CREATE TABLE invite_codes (
                          code_hash BLOB PRIMARY KEY,
                          expires_at INTEGER NOT NULL
                        ) STRICT""");
                statement.execute("""
                        CREATE TABLE device_keys (
                          account_id BLOB NOT NULL,
                          device_id INTEGER NOT NULL,
                          kind INTEGER NOT NULL,
                          key_id INTEGER NOT NULL,
                          public_key BLOB NOT NULL,
                          signature BLOB NOT NULL,
                          PRIMARY KEY (account_id, device_id, kind, key_id)
                        ) STRICT""");
                statement.execute("""
                        CREATE TABLE mailbox (
                          seq INTEGER PRIMARY KEY AUTOINCREMENT,
                          account_id BLOB NOT NULL,
                          device_id INTEGER NOT NULL,
                          guid BLOB NOT NULL UNIQUE,
                          envelope BLOB NOT NULL,
                          stored_at INTEGER NOT NULL
                        ) STRICT""");
                statement.execute("CREATE INDEX mailbox_by_device ON mailbox (account_id, device_id, seq)");
                statement.execute("CREATE INDEX mailbox_by_age ON mailbox (stored_at)");
            }
            if (version < 2) {
                statement.execute("ALTER TABLE accounts ADD COLUMN access_key BLOB");
                statement.execute("ALTER TABLE accounts ADD COLUMN unrestricted_access INTEGER NOT NULL DEFAULT 0");
            }
            if (version < 3) {
                statement.execute("ALTER TABLE accounts ADD COLUMN profile BLOB");
            }
            if (version < 4) {
                // One bit per stored message: sent without the recipient's access key. Rows stored
                // before count as from contacts. The partial index keeps counting them cheap.
                statement.execute("ALTER TABLE mailbox ADD COLUMN from_stranger INTEGER NOT NULL DEFAULT 0");
                statement.execute("CREATE INDEX mailbox_from_strangers ON mailbox (account_id, device_id) WHERE from_stranger");
            }
            statement.execute("PRAGMA user_version = " + VERSION);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }
}
