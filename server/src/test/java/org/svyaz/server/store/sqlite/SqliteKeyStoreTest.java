// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.KeyStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link KeyStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteKeyStoreTest extends KeyStoreContract {
    @TempDir
    Path dataDir;

    private SqliteStorageFixture fixture;

    @Override
    protected KeyStore newStore() throws StoreException {
        fixture = new SqliteStorageFixture(dataDir);
        return fixture.open().keys();
    }

    @Override
    protected KeyStore reopen() throws StoreException {
        return fixture.reopen().keys();
    }

    @Override
    protected void closeStore() {
        fixture.close();
    }

    @AfterEach
    void closeStorage() {
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
}
