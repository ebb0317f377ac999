// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import org.junit.jupiter.api.AfterEach;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.KeyStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link KeyStoreContract} against PostgreSQL, a fresh database per test. */
class PostgresKeyStoreTest extends KeyStoreContract {
    private PostgresStorageFixture fixture;

    @Override
    protected KeyStore newStore() throws StoreException {
        fixture = new PostgresStorageFixture();
        return fixture.open().keys();
    }

    @Override
    protected KeyStore reopen() throws StoreException {
        return fixture.reopen().keys();
    }

    @Override
    protected void closeStore() {
        fixture.closeStorage();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }
}
