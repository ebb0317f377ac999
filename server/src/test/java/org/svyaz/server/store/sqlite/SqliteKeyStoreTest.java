// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.KeyStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link KeyStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteKeyStoreTest extends KeyStoreContract {
    @TempDir
    Path dataDir;

    private EmbeddedStorage storage;

    @Override
    protected KeyStore newStore() throws StoreException {
        storage = EmbeddedStorage.open(dataDir);
        return storage.keys();
    }

    @Override
    protected KeyStore reopen() throws StoreException {
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
