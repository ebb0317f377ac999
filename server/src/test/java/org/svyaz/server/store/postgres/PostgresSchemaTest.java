// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.StoreException;

/** Versioned migrations of the PostgreSQL schema: applied once, never destructive, newer schemas refused. */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class PostgresSchemaTest {
    private final PostgresTestDatabase database = PostgresTestDatabase.create();

    @AfterEach
    void dropDatabase() throws SQLException {
        database.close();
    }

    @Test
    void aFreshDatabaseGetsEveryVersionOnceAndMigratingAgainChangesNothing() throws Exception {
        UUID id = UUID.randomUUID();
        try (PostgresStorage storage = PostgresStorage.open(database.settings(2))) {
            assertThat(storage.accounts().create(new Account(id, new byte[33], 1L),
                    new Device(1, 7, new byte[16], new byte[32], 1L), List.of(new byte[32]), null, 1L))
                    .isInstanceOf(CreateAccountResult.Created.class);
        }
        assertThat(versions()).isEqualTo(versionsUpTo(PostgresSchema.VERSION));

        try (Connection connection = database.connect()) {
            assertThat(PostgresSchema.migrate(connection)).as("migrations applied the second time").isZero();
        }
        try (PostgresStorage storage = PostgresStorage.open(database.settings(2))) {
            assertThat(storage.accounts().findAccount(id)).as("data written before the restart").isPresent();
        }
        assertThat(versions()).isEqualTo(versionsUpTo(PostgresSchema.VERSION));
    }

    @Test
    void aSchemaNewerThanTheCodeIsRefusedAndLeftAlone() throws Exception {
        PostgresStorage.open(database.settings(2)).close();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO schema_version (version) VALUES (" + (PostgresSchema.VERSION + 1) + ")");
        }

        assertThatThrownBy(() -> PostgresStorage.open(database.settings(2)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("newer Svyaz");

        List<Integer> expected = versionsUpTo(PostgresSchema.VERSION + 1);
        assertThat(versions()).isEqualTo(expected);
    }

    @Test
    void nodesStartingTogetherMigrateExactlyOnce() throws Exception {
        int nodes = 6;
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> applied = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                applied.add(pool.submit(() -> {
                    try (Connection connection = database.connect()) {
                        start.await();
                        return PostgresSchema.migrate(connection);
                    }
                }));
            }
            start.countDown();
            List<Integer> counts = new ArrayList<>();
            for (Future<Integer> result : applied) {
                counts.add(result.get());
            }

            // One node did all the work; the others waited for its lock and found the schema current.
            assertThat(counts).containsOnlyOnce(PostgresSchema.VERSION)
                    .filteredOn(n -> n == 0).hasSize(nodes - 1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(versions()).isEqualTo(versionsUpTo(PostgresSchema.VERSION));
    }

    @Test
    void storagesOpeningTogetherAllStart() throws Exception {
        int nodes = 4;
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        List<PostgresStorage> opened = new ArrayList<>();
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<PostgresStorage>> futures = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return PostgresStorage.open(database.settings(2));
                }));
            }
            start.countDown();
            for (Future<PostgresStorage> future : futures) {
                opened.add(future.get());
            }
            assertThat(opened).hasSize(nodes);
        } finally {
            opened.forEach(PostgresStorage::close);
            pool.shutdownNow();
        }
        assertThat(versions()).isEqualTo(versionsUpTo(PostgresSchema.VERSION));
    }

    /**
     * Version 2 added {@code mailbox.from_stranger}: a mailbox written by version 1 keeps its rows,
     * which count as from contacts (they were let in under the whole cap).
     */
    @Test
    void aVersion1MailboxKeepsItsRowsAsFromContacts() throws Exception {
        UUID bob = UUID.randomUUID();
        try (PostgresStorage storage = PostgresStorage.open(database.settings(2))) {
            storage.mailbox().insert(List.of(new MailboxEntry(0, bob, 1, new byte[16], new byte[] {7}, 1L)));
        }
        // Back to what version 1 wrote: no column, no index, no record of version 2.
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP INDEX mailbox_from_strangers");
            statement.execute("ALTER TABLE mailbox DROP COLUMN from_stranger");
            statement.execute("DELETE FROM schema_version WHERE version = 2");
        }

        try (PostgresStorage storage = PostgresStorage.open(database.settings(2))) {
            assertThat(storage.mailbox().fetch(bob, 1, 0, 10)).singleElement()
                    .satisfies(entry -> assertThat(entry.fromStranger()).isFalse());
            byte[] guid = new byte[16];
            guid[0] = 1;
            assertThat(storage.mailbox().insert(List.of(new MailboxEntry(0, bob, 1, guid, new byte[] {8}, 2L, true)), 2, 1))
                    .as("the old row is not a stranger's").isTrue();
        }
        assertThat(versions()).isEqualTo(versionsUpTo(PostgresSchema.VERSION));
    }

    /** Data survives every upgrade: a migration only adds. */
    @Test
    void noMigrationDropsTruncatesDeletesOrRewrites() {
        Pattern destructive = Pattern.compile(
                "\\b(DROP|TRUNCATE|DELETE|UPDATE|RENAME|REINDEX|CLUSTER|VACUUM\\s+FULL)\\b|\\bALTER\\s+COLUMN\\b.*\\bTYPE\\b",
                Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        for (List<String> migration : PostgresSchema.migrations()) {
            for (String sql : migration) {
                // "ON DELETE CASCADE" describes a foreign key; it deletes nothing during the migration.
                String checked = sql.toUpperCase(Locale.ROOT).replace("ON DELETE CASCADE", "");
                assertThat(destructive.matcher(checked).find()).as("destructive migration statement:%n%s", sql).isFalse();
            }
        }
    }

    private List<Integer> versions() throws SQLException {
        try (Connection connection = database.connect(); Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
            List<Integer> versions = new ArrayList<>();
            while (rows.next()) {
                versions.add(rows.getInt(1));
            }
            return versions;
        }
    }

    private static List<Integer> versionsUpTo(int last) {
        List<Integer> versions = new ArrayList<>();
        for (int v = 1; v <= last; v++) {
            versions.add(v);
        }
        return versions;
    }
}
