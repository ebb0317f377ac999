// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the store contract suites share: each runs once per {@link StorageKind}, on a storage of its
 * own that a test may reopen (a restarted server) or close (calls must then fail). A suite talks to
 * its store only through the store's interface.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(StorageKind.class)
public abstract class StoreContract {
    @Parameter
    StorageKind kind;

    @TempDir
    Path directory;

    private StorageFixture fixture;
    protected Storage storage;

    @BeforeEach
    void openStorage() throws Exception {
        fixture = kind.newFixture(directory);
        storage = fixture.open();
    }

    /** Closes the storage and opens the same data again; a suite then takes its store from the result. */
    protected Storage reopenStorage() throws StoreException {
        storage = fixture.reopen();
        return storage;
    }

    /** Closes the storage; calls on its stores must then fail with {@link StoreException}. */
    protected void closeStorage() {
        fixture.closeStorage();
    }

    @AfterEach
    void removeStorage() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }
}
