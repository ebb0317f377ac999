// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import org.junit.jupiter.api.AfterEach;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.AccountStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link AccountStoreContract} against PostgreSQL, a fresh database per test. */
class PostgresAccountStoreTest extends AccountStoreContract {
    private PostgresStorageFixture fixture;

    @Override
    protected AccountStore newStore() throws StoreException {
        fixture = new PostgresStorageFixture();
        return fixture.open().accounts();
    }

    @Override
    protected AccountStore reopen() throws StoreException {
        return fixture.reopen().accounts();
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
