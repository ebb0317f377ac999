// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's PostgreSQL schema as a list of versioned migrations, recorded one row per version in
 * {@code schema_version} and applied at start in one transaction.
 *
 * <p>Rules for changing it: append a new migration, never edit or remove an applied one; a migration
 * only adds (tables, columns with defaults, indexes), it never drops, truncates or rewrites data
 * ({@code PostgresSchemaTest} checks the statements). The tables mirror the SQLite ones in
 * {@code SqliteSchema}: when one changes, change the other and PRIVACY.md. The two version numbers
 * are independent.
 */
final class PostgresSchema {
    private static final Logger log = LoggerFactory.getLogger(PostgresSchema.class);

    /**
     * Nodes of a cluster start at the same time; this transaction-scoped advisory lock lets exactly
     * one of them migrate while the others wait and then find nothing left to do. ("SvyazSch")
     */
    static final long MIGRATION_LOCK = 0x5376_7961_7a53_6368L;

    /**
     * A migration may run for long on a big database (an index build), longer than the statement
     * and socket timeouts meant for ordinary calls; a dead database still ends it within this bound.
     */
    private static final int MIGRATION_TIMEOUT_SECONDS = 30 * 60;

    /** Migration {@code i} brings the schema to version {@code i + 1}. */
    private static final List<List<String>> MIGRATIONS = List.of(
            // 1: accounts, devices, usernames, invite codes, prekeys and mailboxes, as SqliteSchema v3.
            List.of("""
                    CREATE TABLE accounts (
                      id uuid PRIMARY KEY,
                      identity_key bytea NOT NULL,
                      created_at bigint NOT NULL,
                      access_key bytea,
                      unrestricted_access boolean NOT NULL DEFAULT false,
                      profile bytea
                    )""", """
                    CREATE TABLE devices (
                      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                      device_id integer NOT NULL,
                      registration_id integer NOT NULL,
                      credential_salt bytea NOT NULL,
                      credential_hash bytea NOT NULL,
                      created_at bigint NOT NULL,
                      PRIMARY KEY (account_id, device_id)
                    )""", """
                    CREATE TABLE usernames (
                      hash bytea PRIMARY KEY,
                      account_id uuid NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE
                    )""", """
                    CREATE TABLE invite_codes (
                      code_hash bytea PRIMARY KEY,
                      expires_at bigint NOT NULL
                    )""", """
                    CREATE TABLE device_keys (
                      account_id uuid NOT NULL,
                      device_id integer NOT NULL,
                      kind smallint NOT NULL,
                      key_id integer NOT NULL,
                      public_key bytea NOT NULL,
                      signature bytea NOT NULL,
                      PRIMARY KEY (account_id, device_id, kind, key_id)
                    )""",
                    // At most one signed prekey (1) and one Kyber last-resort key (4) per device, so
                    // replacing one is a single upsert, safe when two uploads race.
                    "CREATE UNIQUE INDEX device_keys_single ON device_keys (account_id, device_id, kind) WHERE kind IN (1, 4)",
                    """
                    CREATE TABLE mailbox (
                      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                      account_id uuid NOT NULL,
                      device_id integer NOT NULL,
                      guid bytea NOT NULL UNIQUE,
                      envelope bytea NOT NULL,
                      stored_at bigint NOT NULL
                    )""",
                    "CREATE INDEX mailbox_by_device ON mailbox (account_id, device_id, seq)",
                    "CREATE INDEX mailbox_by_age ON mailbox (stored_at)",
                    // One row per device that ever had mail; inserts lock it (see PostgresMailboxStore).
                    """
                    CREATE TABLE mailbox_locks (
                      account_id uuid NOT NULL,
                      device_id integer NOT NULL,
                      PRIMARY KEY (account_id, device_id)
                    )"""),
            // 2: one bit per stored message, sent without the recipient's access key (SqliteSchema v4).
            // Rows stored before count as from contacts; a constant default rewrites no rows.
            List.of("ALTER TABLE mailbox ADD COLUMN from_stranger boolean NOT NULL DEFAULT false",
                    "CREATE INDEX mailbox_from_strangers ON mailbox (account_id, device_id) WHERE from_stranger"));

    /** The schema version this code writes. */
    static final int VERSION = MIGRATIONS.size();

    private PostgresSchema() {}

    /** Every migration's statements, in order; for the test that keeps them non-destructive. */
    static List<List<String>> migrations() {
        return MIGRATIONS;
    }

    /**
     * Brings the database to {@link #VERSION}; returns how many migrations it applied (0 when it was
     * current). Refuses, changing nothing, a database whose schema is newer than this code.
     */
    static int migrate(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        connection.setNetworkTimeout(Runnable::run, (MIGRATION_TIMEOUT_SECONDS + 60) * 1000);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL statement_timeout = '" + MIGRATION_TIMEOUT_SECONDS + "s'");
            statement.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS schema_version (
                      version integer PRIMARY KEY,
                      applied_at timestamptz NOT NULL DEFAULT now()
                    )""");
            int current;
            try (ResultSet rows = statement.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                rows.next();
                current = rows.getInt(1);
            }
            if (current > VERSION) {
                // An older node must not write into (let alone "migrate") a schema it does not know.
                throw new SQLException("the database was written by a newer Svyaz (schema " + current
                        + "; this server knows up to " + VERSION + ")", "55000");
            }
            try (PreparedStatement record = connection.prepareStatement(
                    "INSERT INTO schema_version (version) VALUES (?)")) {
                for (int version = current + 1; version <= VERSION; version++) {
                    for (String sql : MIGRATIONS.get(version - 1)) {
                        statement.execute(sql);
                    }
                    record.setInt(1, version);
                    record.executeUpdate();
                }
            }
            connection.commit();
            if (current < VERSION) {
                log.info("PostgreSQL schema migrated from version {} to {}", current, VERSION);
            }
            return VERSION - current;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException rollbackFailure) {
                e.addSuppressed(rollbackFailure);
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }
}
