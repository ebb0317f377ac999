// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import org.svyaz.server.store.StorageFixture;
import org.svyaz.server.store.StoreException;

/**
 * One fresh PostgreSQL database per test, with the storage opened, reopened and closed on it the way
 * a server node would. {@link #close()} closes the storage and drops the database.
 */
public final class PostgresStorageFixture implements StorageFixture {
    static final int POOL_SIZE = 8;

    private final PostgresTestDatabase database = PostgresTestDatabase.create();
    private PostgresStorage storage;

    @Override
    public PostgresStorage open() throws StoreException {
        storage = PostgresStorage.open(database.settings(POOL_SIZE));
        return storage;
    }

    @Override
    public void closeStorage() {
        if (storage != null) {
            storage.close();
        }
    }

    /** A connection of the test's own to the same database, outside the storage's pool. */
    Connection connect() throws SQLException {
        return database.connect();
    }

    @Override
    public void close() throws SQLException {
        closeStorage();
        database.close();
    }
}
