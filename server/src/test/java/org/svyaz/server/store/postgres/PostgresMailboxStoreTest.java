// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.MailboxStoreContract;
import org.svyaz.server.store.StoreException;

/** Runs the {@link MailboxStoreContract} against PostgreSQL, a fresh database per test. */
class PostgresMailboxStoreTest extends MailboxStoreContract {
    private PostgresStorageFixture fixture;

    @Override
    protected MailboxStore newStore() throws StoreException {
        fixture = new PostgresStorageFixture();
        return fixture.open().mailbox();
    }

    @Override
    protected MailboxStore reopen() throws StoreException {
        return fixture.reopen().mailbox();
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

    /** Error messages end up in logs; PostgreSQL's details would quote the stored values. */
    @Test
    void aFailedInsertDoesNotQuoteTheValuesInItsMessages() throws Exception {
        byte[] guid = HexFormat.of().parseHex("5eaf00d5eaf00d5eaf00d5eaf00d5eaf");
        UUID account = UUID.randomUUID();
        MailboxEntry entry = new MailboxEntry(0, account, 1, guid, new byte[] {1}, 1L);
        store.insert(List.of(entry));

        StoreException failure = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class,
                () -> store.insert(List.of(entry)));

        for (Throwable t = failure; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage()).toLowerCase())
                    .contains(t == failure ? "database error" : "")
                    .doesNotContain("5eaf00d")
                    .doesNotContain(account.toString());
        }
    }
}
