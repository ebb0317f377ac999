// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.StoreException;

/** What only the embedded file shows: its mode, its schema version, and durability before a clean close. */
class SqliteStorageTest {
    @TempDir
    Path dataDir;

    private SqliteStorageFixture fixture;
    private EmbeddedStorage storage;

    @BeforeEach
    void open() throws StoreException {
        fixture = new SqliteStorageFixture(dataDir);
        storage = fixture.open();
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    /** WAL lets readers run beside the single writer; the schema version drives migrations. */
    @Test
    void theFileIsInWalModeAtTheCurrentSchemaVersion() throws Exception {
        try (Connection other = fixture.rawConnection(); Statement query = other.createStatement()) {
            try (ResultSet mode = query.executeQuery("PRAGMA journal_mode")) {
                mode.next();
                assertThat(mode.getString(1)).isEqualToIgnoringCase("wal");
            }
            try (ResultSet version = query.executeQuery("PRAGMA user_version")) {
                version.next();
                assertThat(version.getInt(1)).isEqualTo(SqliteSchema.VERSION);
            }
        }
    }

    /** A write is in the file when it returns, before any clean shutdown or checkpoint. */
    @Test
    void aCommittedAccountIsVisibleToAnotherConnectionBeforeClose() throws Exception {
        CreateAccountResult result = storage.accounts().create(new Account(UUID.randomUUID(), new byte[33], 1L),
                new Device(1, 7, new byte[16], new byte[32], 1L), List.of(new byte[32]), null, 1L);
        assertThat(result).isInstanceOf(CreateAccountResult.Created.class);

        try (Connection other = fixture.rawConnection(); Statement query = other.createStatement();
             ResultSet rows = query.executeQuery("SELECT count(*) FROM accounts")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(1);
        }
    }

    /** An older server must not touch (or "migrate") a database a newer one wrote. */
    @Test
    void aDatabaseFromANewerVersionIsRefusedAndLeftAlone() throws Exception {
        fixture.close();
        try (Connection other = fixture.rawConnection(); Statement update = other.createStatement()) {
            update.execute("PRAGMA user_version = " + (SqliteSchema.VERSION + 1));
        }

        assertThatThrownBy(() -> EmbeddedStorage.open(fixture.dataDir()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot open");

        try (Connection other = fixture.rawConnection(); Statement query = other.createStatement();
             ResultSet version = query.executeQuery("PRAGMA user_version")) {
            version.next();
            assertThat(version.getInt(1)).isEqualTo(SqliteSchema.VERSION + 1);
        }
    }

    /**
     * Version 4 added {@code mailbox.from_stranger}: a mailbox written by version 3 keeps its rows,
     * which count as from contacts (they were let in under the whole cap).
     */
    @Test
    void aVersion3MailboxKeepsItsRowsAsFromContacts() throws Exception {
        UUID bob = UUID.randomUUID();
        storage.mailbox().insert(List.of(new MailboxEntry(0, bob, 1, new byte[16], new byte[] {7}, 1L)));
        fixture.close();
        // Back to what version 3 wrote: no column, no index.
        try (Connection other = fixture.rawConnection(); Statement update = other.createStatement()) {
            update.execute("DROP INDEX mailbox_from_strangers");
            update.execute("ALTER TABLE mailbox DROP COLUMN from_stranger");
            update.execute("PRAGMA user_version = 3");
        }

        storage = fixture.open();

        assertThat(storage.mailbox().fetch(bob, 1, 0, 10)).singleElement()
                .satisfies(entry -> assertThat(entry.fromStranger()).isFalse());
        assertThat(storage.mailbox().insert(List.of(
                new MailboxEntry(0, bob, 1, new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new byte[] {8}, 2L,
                        true)), 2, 1)).as("the old row is not a stranger's").isTrue();
        try (Connection other = fixture.rawConnection(); Statement query = other.createStatement();
             ResultSet version = query.executeQuery("PRAGMA user_version")) {
            version.next();
            assertThat(version.getInt(1)).isEqualTo(SqliteSchema.VERSION);
        }
    }
}
