// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.AccountStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link AccountStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteAccountStoreTest extends AccountStoreContract {
    @TempDir
    Path dataDir;

    private EmbeddedStorage storage;

    @Override
    protected AccountStore newStore() throws StoreException {
        storage = EmbeddedStorage.open(dataDir);
        return storage.accounts();
    }

    @Override
    protected AccountStore reopen() throws StoreException {
        storage.close();
        return newStore();
    }

    @Override
    protected void closeStore() {
        storage.close();
    }

    @AfterEach
    void closeStorage() {
        // Closing twice is harmless, so tests that closed the store themselves need no special case.
        storage.close();
    }
}
