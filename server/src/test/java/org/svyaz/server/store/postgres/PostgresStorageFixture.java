// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.SQLException;
import org.svyaz.server.store.StoreException;

/**
 * One fresh PostgreSQL database per test, with the storage opened, reopened and closed on it the way
 * a server node would. {@link #close()} closes the storage and drops the database; call it from an
 * {@code @AfterEach}, which runs when the test failed too.
 */
final class PostgresStorageFixture implements AutoCloseable {
    static final int POOL_SIZE = 8;

    private final PostgresTestDatabase database = PostgresTestDatabase.create();
    private PostgresStorage storage;

    PostgresStorage open() throws StoreException {
        storage = PostgresStorage.open(database.settings(POOL_SIZE));
        return storage;
    }

    PostgresStorage reopen() throws StoreException {
        closeStorage();
        return open();
    }

    /** Closing twice is harmless, so tests that closed the store themselves need no special case. */
    void closeStorage() {
        if (storage != null) {
            storage.close();
        }
    }

    PostgresTestDatabase database() {
        return database;
    }

    @Override
    public void close() throws SQLException {
        closeStorage();
        database.close();
    }
}
