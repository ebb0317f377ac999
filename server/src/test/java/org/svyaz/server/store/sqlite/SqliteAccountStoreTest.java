// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.AccountStoreContract;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.StoreException;

/** Runs the {@link AccountStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteAccountStoreTest extends AccountStoreContract {
    @TempDir
    Path dataDir;

    private SqliteStorageFixture fixture;

    @Override
    protected AccountStore newStore() throws StoreException {
        fixture = new SqliteStorageFixture(dataDir);
        return fixture.open().accounts();
    }

    @Override
    protected AccountStore reopen() throws StoreException {
        return fixture.reopen().accounts();
    }

    @Override
    protected void closeStore() {
        fixture.close();
    }

    @AfterEach
    void closeStorage() {
        fixture.close();
    }

    /** A write is in the file when it returns, before any clean shutdown or checkpoint. */
    @Test
    void aCommittedAccountIsVisibleToAnotherConnectionBeforeClose() throws Exception {
        UUID id = UUID.randomUUID();
        CreateAccountResult result = store.create(new Account(id, new byte[33], 1L),
                new Device(1, 7, new byte[16], new byte[32], 1L), List.of(hash(501)), null, 1L);
        assertThat(result).isInstanceOf(CreateAccountResult.Created.class);

        try (Connection other = fixture.rawConnection(); Statement query = other.createStatement();
             ResultSet rows = query.executeQuery("SELECT count(*) FROM accounts")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(1);
        }
    }
}
