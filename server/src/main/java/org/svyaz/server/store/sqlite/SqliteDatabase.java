// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcDatabase;
import org.svyaz.server.store.jdbc.JdbcSession;
import org.svyaz.server.store.jdbc.UuidColumns;

/**
 * The embedded database: one SQLite file in WAL mode, one writer thread with group commit, and a
 * small pool of read connections.
 *
 * <p>Why a single writer: SQLite allows one writer at a time anyway; queueing writes to one thread
 * lets it commit many callers' work in one transaction and pay for one fsync, which is what makes
 * durable sends cheap. Each task runs inside its own savepoint, so one failing task rolls back only
 * its own work.
 */
public final class SqliteDatabase implements JdbcDatabase {
    private static final Logger log = LoggerFactory.getLogger(SqliteDatabase.class);
    private static final int MAX_BATCH = 256;
    private static final int READERS = 4;

    private record WriteTask<T>(Work<T> work, CompletableFuture<T> result) {}

    private final String url;
    private final Connection writer;
    private final CachingSession writerSession;
    private final BlockingQueue<WriteTask<?>> writes = new LinkedBlockingQueue<>();
    private final BlockingQueue<CachingSession> readers = new ArrayBlockingQueue<>(READERS);
    private final Thread writerThread;
    private volatile boolean closed;

    private SqliteDatabase(Path file) throws SQLException {
        this.url = "jdbc:sqlite:" + file.toAbsolutePath();
        this.writer = open();
        try (Statement statement = writer.createStatement()) {
            statement.execute("PRAGMA journal_mode=WAL");
        }
        SqliteSchema.migrate(writer);
        writerSession = new CachingSession(writer, true);
        for (int i = 0; i < READERS; i++) {
            readers.add(new CachingSession(open(), false));
        }
        writerThread = Thread.ofPlatform().name("sqlite-writer").daemon(true).unstarted(this::writeLoop);
    }

    /** Opens (creating when absent) the database file and brings its schema up to date. */
    public static SqliteDatabase open(Path file) throws StoreException {
        try {
            SqliteDatabase database = new SqliteDatabase(file);
            database.writerThread.start();
            return database;
        } catch (SQLException e) {
            throw new StoreException("cannot open the database " + file.getFileName(), e);
        }
    }

    private Connection open() throws SQLException {
        Connection connection = DriverManager.getConnection(url);
        try (Statement statement = connection.createStatement()) {
            // FULL: a commit is on disk when it returns, so an answered send survives power loss too.
            statement.execute("PRAGMA synchronous=FULL");
            statement.execute("PRAGMA foreign_keys=ON");
            statement.execute("PRAGMA busy_timeout=10000");
            // Acknowledged and expired messages are overwritten, not only unlinked from the b-tree.
            statement.execute("PRAGMA secure_delete=ON");
        }
        return connection;
    }

    /**
     * A session on one of this database's connections. Statements are kept by SQL text and reused:
     * SQLite compiles a statement's text on every prepare, which the relay benchmark's profile showed
     * on the hot path. A connection serves one thread at a time (the writer thread, or whoever took a
     * reader from the pool), so the cache needs no lock.
     */
    private static final class CachingSession implements JdbcSession {
        private final Connection connection;
        private final boolean writes;
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        CachingSession(Connection connection, boolean writes) {
            this.connection = connection;
            this.writes = writes;
        }

        @Override
        public PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement statement = statements.get(sql);
            if (statement == null || statement.isClosed()) {
                statement = connection.prepareStatement(sql);
                statements.put(sql, statement);
            } else {
                // A batch left behind by a failed run must not be executed with the next one.
                statement.clearBatch();
            }
            return statement;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        /** Back to the savepoint the writer opened for this task; the task's release then commits nothing of it. */
        @Override
        public void rollback() throws SQLException {
            if (!writes) {
                throw new SQLException("a read has nothing to roll back");
            }
            prepare("ROLLBACK TO task").execute();
        }
    }

    /** Runs {@code work} in the next group commit and returns once it is durable. */
    @Override
    public <T> T write(Work<T> work) throws StoreException {
        if (closed) {
            throw new StoreException("the database is closed", null);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        writes.add(new WriteTask<>(work, result));
        try {
            while (true) {
                try {
                    return result.get(1, TimeUnit.SECONDS);
                } catch (TimeoutException stillQueued) {
                    // A task queued just as close() stopped the writer would otherwise wait forever.
                    if (closed && !writerThread.isAlive() && !result.isDone()) {
                        throw new StoreException("the database is closed", null);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a write", e);
        } catch (ExecutionException e) {
            throw new StoreException("write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Runs {@code work} on a read connection; it sees everything committed before it started. */
    @Override
    public <T> T read(Work<T> work) throws StoreException {
        CachingSession session;
        try {
            // Poll, not take: close() empties the pool for good, and a reader must then fail, not wait forever.
            do {
                if (closed) {
                    throw new StoreException("the database is closed", null);
                }
                session = readers.poll(100, TimeUnit.MILLISECONDS);
            } while (session == null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a read connection", e);
        }
        try {
            return work.run(session);
        } catch (SQLException e) {
            throw new StoreException("read failed: " + e.getMessage(), e);
        } finally {
            readers.add(session);
            if (closed) {
                // close() already drained the pool; close what came back after it instead of leaking it.
                CachingSession late;
                while ((late = readers.poll()) != null) {
                    closeQuietly(late.connection());
                }
            }
        }
    }

    @Override
    public UuidColumns uuids() {
        return UuidColumns.BYTES;
    }

    private void writeLoop() {
        List<WriteTask<?>> batch = new ArrayList<>(MAX_BATCH);
        while (!closed || !writes.isEmpty()) {
            try {
                WriteTask<?> first = writes.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                writes.drainTo(batch, MAX_BATCH - 1);
                commitBatch(batch);
            } catch (InterruptedException e) {
                // Only close() interrupts; the loop condition decides whether work remains.
                Thread.currentThread().interrupt();
                Thread.interrupted();
            } finally {
                batch.clear();
            }
        }
    }

    private void commitBatch(List<WriteTask<?>> batch) {
        List<Object> results = new ArrayList<>(batch.size());
        List<Throwable> failures = new ArrayList<>(batch.size());
        try {
            writer.setAutoCommit(false);
            // Savepoints by plain statements: the driver's setSavepoint() formats a fresh name for
            // every task, which showed up in the relay benchmark's profile.
            PreparedStatement savepoint = writerSession.prepare("SAVEPOINT task");
            PreparedStatement release = writerSession.prepare("RELEASE task");
            for (WriteTask<?> task : batch) {
                savepoint.execute();
                try {
                    results.add(task.work().run(writerSession));
                    failures.add(null);
                    release.execute();
                } catch (SQLException | RuntimeException e) {
                    writerSession.rollback();
                    release.execute();
                    results.add(null);
                    failures.add(e);
                }
            }
            writer.commit();
        } catch (SQLException e) {
            log.error("group commit of {} writes failed", batch.size(), e);
            try {
                writer.rollback();
            } catch (SQLException rollbackFailure) {
                e.addSuppressed(rollbackFailure);
            }
            for (WriteTask<?> task : batch) {
                task.result().completeExceptionally(e);
            }
            return;
        } finally {
            try {
                writer.setAutoCommit(true);
            } catch (SQLException ignored) {
                // The next batch will fail loudly if the connection is really broken.
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results.get(i), failures.get(i));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(WriteTask<T> task, Object result, Throwable failure) {
        if (failure != null) {
            task.result().completeExceptionally(failure);
        } else {
            task.result().complete((T) result);
        }
    }

    /** Finishes queued writes, checkpoints the WAL into the main file and closes every connection. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writerThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Statement statement = writer.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            log.warn("WAL checkpoint at close failed; the WAL is replayed on next open", e);
        }
        closeQuietly(writer);
        CachingSession reader;
        while ((reader = readers.poll()) != null) {
            closeQuietly(reader.connection());
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing a database connection failed", e);
        }
    }
}
