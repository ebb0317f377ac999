// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.MailboxStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link MailboxStoreContract} against the embedded SQLite storage, a fresh file per test. */
class SqliteMailboxStoreTest extends MailboxStoreContract {
    @TempDir
    Path dataDir;

    private EmbeddedStorage storage;

    @Override
    protected MailboxStore newStore() throws StoreException {
        storage = EmbeddedStorage.open(dataDir);
        return storage.mailbox();
    }

    @Override
    protected MailboxStore reopen() throws StoreException {
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
