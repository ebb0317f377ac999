// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.svyaz.server.store.StorageFixture;
import org.svyaz.server.store.StoreException;

/** One embedded database in a test's directory, opened, reopened and closed the way a server would. */
public final class SqliteStorageFixture implements StorageFixture {
    private final Path dataDir;
    private EmbeddedStorage storage;

    public SqliteStorageFixture(Path dataDir) {
        this.dataDir = dataDir;
    }

    @Override
    public EmbeddedStorage open() throws StoreException {
        storage = EmbeddedStorage.open(dataDir);
        return storage;
    }

    @Override
    public void closeStorage() {
        if (storage != null) {
            storage.close();
        }
    }

    /** The file goes with the test's directory. */
    @Override
    public void close() {
        closeStorage();
    }

    /** A separate connection to the same file, as another process (or a restarted server) would see it. */
    Connection rawConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(EmbeddedStorage.DATABASE_FILE));
    }

    Path dataDir() {
        return dataDir;
    }
}
