// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/** What only PostgreSQL shows: the driver's error messages. */
class PostgresStorageTest {
    private final PostgresStorageFixture fixture = new PostgresStorageFixture();

    @AfterEach
    void dropDatabase() throws Exception {
        fixture.close();
    }

    /** Error messages end up in logs; PostgreSQL's details would quote the stored values. */
    @Test
    void aFailedInsertDoesNotQuoteTheValuesInItsMessages() throws Exception {
        MailboxStore store = fixture.open().mailbox();
        byte[] guid = HexFormat.of().parseHex("5eaf00d5eaf00d5eaf00d5eaf00d5eaf");
        UUID account = UUID.randomUUID();
        MailboxEntry entry = new MailboxEntry(0, account, 1, guid, new byte[] {1}, 1L);
        store.insert(List.of(entry));

        Throwable failure = catchThrowable(() -> store.insert(List.of(entry)));

        assertThat(failure).isInstanceOf(StoreException.class);

        for (Throwable t = failure; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage()).toLowerCase())
                    .contains(t == failure ? "database error" : "")
                    .doesNotContain("5eaf00d")
                    .doesNotContain(account.toString());
        }
    }
}
