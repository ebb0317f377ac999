// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/**
 * One test's storage on one kind of database: opened, reopened and closed the way a server would
 * open it, and removed afterwards. {@link #close()} belongs in an {@code @AfterEach}, which also runs
 * when the test failed.
 */
public interface StorageFixture extends AutoCloseable {
    /** Opens the storage on this fixture's database, creating the schema when it is new. */
    Storage open() throws StoreException;

    /** Closes the storage last opened (twice is harmless); calls on its stores then fail. */
    void closeStorage();

    /** Closes the storage and opens the same data again, as a restarted server would. */
    default Storage reopen() throws StoreException {
        closeStorage();
        return open();
    }

    /** Closes the storage and removes the database this fixture made. */
    @Override
    void close() throws Exception;
}
