// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcDatabase;
import org.svyaz.server.store.jdbc.JdbcSession;

/** The group commit: many callers' writes in one transaction, each able to fail alone. */
class SqliteDatabaseTest {
    @TempDir
    Path directory;

    @Test
    void aFailingWriteInAGroupCommitRollsBackOnlyItsOwnWork() throws Exception {
        try (SqliteDatabase database = SqliteDatabase.open(directory.resolve("test.db"))) {
            database.write(session -> execute(session, "CREATE TABLE notes (n INTEGER PRIMARY KEY)"));
            // Hold the writer so the next three writes queue up and are committed as one batch.
            CountDownLatch writerBusy = new CountDownLatch(1);
            CompletableFuture<Object> blocker = CompletableFuture.supplyAsync(() -> write(database, session -> {
                writerBusy.countDown();
                sleep(300);
                return execute(session, "INSERT INTO notes VALUES (1)");
            }));
            assertThat(writerBusy.await(5, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Object> second = CompletableFuture.supplyAsync(() -> write(database,
                    session -> execute(session, "INSERT INTO notes VALUES (2)")));
            CompletableFuture<Object> failing = CompletableFuture.supplyAsync(() -> write(database, session -> {
                execute(session, "INSERT INTO notes VALUES (3)"); // undone with the task
                return execute(session, "INSERT INTO notes VALUES (1)"); // primary key taken
            }));
            CompletableFuture<Object> fourth = CompletableFuture.supplyAsync(() -> write(database,
                    session -> execute(session, "INSERT INTO notes VALUES (4)")));

            blocker.get(10, TimeUnit.SECONDS);
            second.get(10, TimeUnit.SECONDS);
            fourth.get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(SQLException.class);
            String rows = database.read(session -> {
                StringBuilder numbers = new StringBuilder();
                try (Statement statement = session.connection().createStatement();
                     ResultSet result = statement.executeQuery("SELECT n FROM notes ORDER BY n")) {
                    while (result.next()) {
                        numbers.append(result.getInt(1)).append(' ');
                    }
                }
                return numbers.toString().strip();
            });
            assertThat(rows).isEqualTo("1 2 4");
        }
    }

    @Test
    void aPreparedStatementIsReusedAndABatchLeftByAFailedWriteIsNotRunWithTheNext() throws Exception {
        try (SqliteDatabase database = SqliteDatabase.open(directory.resolve("test.db"))) {
            database.write(session -> execute(session, "CREATE TABLE notes (n INTEGER PRIMARY KEY)"));
            String insertSql = "INSERT INTO notes VALUES (?)";
            PreparedStatement first = database.write(session -> session.prepare(insertSql));
            // A write that queues a batch and then fails before executing it.
            assertThatThrownBy(() -> database.write(session -> {
                PreparedStatement insert = session.prepare(insertSql);
                insert.setInt(1, 100);
                insert.addBatch();
                throw new SQLException("failed before the batch ran");
            })).isInstanceOf(StoreException.class);
            PreparedStatement again = database.write(session -> {
                PreparedStatement insert = session.prepare(insertSql);
                insert.setInt(1, 1);
                insert.addBatch();
                insert.executeBatch();
                return insert;
            });

            assertThat(again).isSameAs(first);
            // Reads on a reader connection, with their own statement, see what was committed, and only that.
            for (int round = 0; round < 3; round++) {
                String rows = database.read(session -> {
                    StringBuilder numbers = new StringBuilder();
                    try (ResultSet result = session.prepare("SELECT n FROM notes ORDER BY n")
                            .executeQuery()) {
                        while (result.next()) {
                            numbers.append(result.getInt(1)).append(' ');
                        }
                    }
                    return numbers.toString().strip();
                });
                assertThat(rows).isEqualTo("1");
            }
        }
    }

    private static Object write(SqliteDatabase database, JdbcDatabase.Work<Object> work) {
        try {
            return database.write(work);
        } catch (StoreException e) {
            throw new CompletionException(e);
        }
    }

    private static Object execute(JdbcSession session, String sql) throws SQLException {
        try (Statement statement = session.connection().createStatement()) {
            statement.execute(sql);
        }
        return null;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
