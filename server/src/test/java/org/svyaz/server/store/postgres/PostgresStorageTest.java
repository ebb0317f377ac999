// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;

/** What only PostgreSQL shows: the driver's error messages, and transactions seen from another connection. */
class PostgresStorageTest {
    private final PostgresStorageFixture fixture = new PostgresStorageFixture();
    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @AfterEach
    void dropDatabase() throws Exception {
        background.shutdownNow();
        fixture.close();
    }

    /**
     * A device acknowledges many messages at once; their deletes are one transaction, not one
     * autocommit statement each. Seen from outside: while another transaction holds the second
     * entry's row, not even the first entry is gone; once it lets go, both are.
     */
    @Test
    void acknowledgedEntriesAreDeletedInOneTransaction() throws Exception {
        MailboxStore store = fixture.open().mailbox();
        UUID account = UUID.randomUUID();
        byte[] first = HexFormat.of().parseHex("01");
        byte[] second = HexFormat.of().parseHex("02");
        store.insert(List.of(new MailboxEntry(0, account, 1, first, new byte[] {1}, 1L),
                new MailboxEntry(0, account, 1, second, new byte[] {2}, 1L)));

        Future<Integer> deleted;
        try (Connection holder = fixture.connect()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement("SELECT 1 FROM mailbox WHERE guid = ? FOR UPDATE")) {
                lock.setBytes(1, second);
                lock.executeQuery().close();
            }
            deleted = background.submit(() -> store.delete(account, 1, List.of(first, second)));
            await().atMost(Duration.ofSeconds(30)).until(() -> waitingForALock(holder));

            assertThat(store.count(account, 1)).isEqualTo(2);
            holder.rollback();
        }

        assertThat(deleted.get(30, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(store.count(account, 1)).isZero();
    }

    private static boolean waitingForALock(Connection observer) throws SQLException {
        try (PreparedStatement query = observer.prepareStatement("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'""");
             ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1) > 0;
        }
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
