// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.svyaz.server.store.StoreException;

/** One embedded database in a test's directory, opened, reopened and closed the way a server would. */
final class SqliteStorageFixture {
    private final Path dataDir;
    private EmbeddedStorage storage;

    SqliteStorageFixture(Path dataDir) {
        this.dataDir = dataDir;
    }

    EmbeddedStorage open() throws StoreException {
        storage = EmbeddedStorage.open(dataDir);
        return storage;
    }

    EmbeddedStorage reopen() throws StoreException {
        close();
        return open();
    }

    /** Closing twice is harmless, so tests that closed the store themselves need no special case. */
    void close() {
        if (storage != null) {
            storage.close();
        }
    }

    /** A separate connection to the same file, as another process (or a restarted server) would see it. */
    Connection rawConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(EmbeddedStorage.DATABASE_FILE));
    }

    Path dataDir() {
        return dataDir;
    }
}
