// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.MailboxStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link MailboxStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteMailboxStoreTest extends MailboxStoreContract {
    @TempDir
    Path dataDir;

    private SqliteStorageFixture fixture;

    @Override
    protected MailboxStore newStore() throws StoreException {
        fixture = new SqliteStorageFixture(dataDir);
        return fixture.open().mailbox();
    }

    @Override
    protected MailboxStore reopen() throws StoreException {
        return fixture.reopen().mailbox();
    }

    @Override
    protected void closeStore() {
        fixture.close();
    }

    @AfterEach
    void closeStorage() {
        fixture.close();
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
}
