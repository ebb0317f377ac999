// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcDatabase;
import org.svyaz.server.store.jdbc.JdbcSession;
import org.svyaz.server.store.jdbc.UuidColumns;

/**
 * A pool of connections to the cluster's PostgreSQL database, and the one place where its errors
 * become {@link StoreException}s.
 *
 * <p>Unlike the embedded database there is no single writer: every node writes at once, and each
 * store gets its atomicity from transactions and row locks in the database itself. Every wait is
 * bounded (connect, pool, statement, socket), so a database that is down or stops answering fails
 * the caller with a {@link StoreException} instead of holding it.
 */
public final class PostgresDatabase implements JdbcDatabase {
    /** A transaction that lost a deadlock or a serialization race did nothing; running it again is safe. */
    private static final int MAX_ATTEMPTS = 3;
    /** The socket outlives the statement timeout by this much, so the database's own cancel wins. */
    private static final int SOCKET_GRACE_SECONDS = 5;

    private final HikariDataSource pool;
    private volatile boolean closed;

    private PostgresDatabase(HikariDataSource pool) {
        this.pool = pool;
    }

    /** Connects, then brings the schema up to date (or refuses a newer one); fails within the connect timeout when the database is down. */
    public static PostgresDatabase open(PostgresSettings settings) throws StoreException {
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(poolConfig(settings));
        } catch (RuntimeException e) {
            // HikariCP's PoolInitializationException: no first connection within the connect timeout.
            throw new StoreException("cannot connect to the PostgreSQL database (database unavailable): " + e.getMessage(), e);
        }
        PostgresDatabase database = new PostgresDatabase(pool);
        try (Connection connection = pool.getConnection()) {
            PostgresSchema.migrate(connection);
        } catch (SQLException e) {
            pool.close();
            throw failure("cannot open the PostgreSQL database", e);
        }
        return database;
    }

    private static HikariConfig poolConfig(PostgresSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("svyaz-postgres");
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(settings.poolSize());
        long connectMillis = settings.connectTimeout().toMillis();
        config.setConnectionTimeout(connectMillis);
        config.setValidationTimeout(Math.min(connectMillis, 5_000));
        // Start fails (instead of starting a server that cannot store anything) when the database is not there.
        config.setInitializationFailTimeout(connectMillis);
        int connectSeconds = (int) Math.max(1, settings.connectTimeout().toSeconds());
        int statementSeconds = (int) settings.statementTimeout().toSeconds();
        // Strings, not numbers: the driver reads its settings with Properties.getProperty, which
        // ignores values of any other type.
        config.addDataSourceProperty("connectTimeout", String.valueOf(connectSeconds));
        config.addDataSourceProperty("loginTimeout", String.valueOf(connectSeconds));
        config.addDataSourceProperty("socketTimeout", String.valueOf(statementSeconds + SOCKET_GRACE_SECONDS));
        config.addDataSourceProperty("options", "-c statement_timeout=" + settings.statementTimeout().toMillis());
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // Server error details quote the offending values (a username hash, a guid): keep them out of
        // exception messages, which end up in logs.
        config.addDataSourceProperty("logServerErrorDetail", "false");
        // A batch of inserts travels as multi-row statements: one round trip for a group send.
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        config.addDataSourceProperty("ApplicationName", "svyaz-server");
        return config;
    }

    /** Runs {@code work} in autocommit mode: each statement commits on its own. */
    @Override
    public <T> T read(Work<T> work) throws StoreException {
        try (Connection connection = connection(); PooledSession session = new PooledSession(connection)) {
            return work.run(session);
        } catch (SQLException e) {
            throw failure("a database call failed", e);
        }
    }

    /**
     * Runs {@code work} in one transaction and commits it; any exception rolls all of it back. The
     * work may call {@link JdbcSession#rollback()} itself to undo what it did and still return a result.
     * A transaction that the database aborted for a deadlock or serialization failure is run again.
     */
    @Override
    public <T> T write(Work<T> work) throws StoreException {
        for (int attempt = 1; ; attempt++) {
            try {
                return transactionOnce(work);
            } catch (SQLException e) {
                if (attempt < MAX_ATTEMPTS && isRetryable(e)) {
                    continue;
                }
                throw failure("a database transaction failed", e);
            }
        }
    }

    private <T> T transactionOnce(Work<T> work) throws SQLException {
        try (Connection connection = connection(); PooledSession session = new PooledSession(connection)) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(session);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            }
        }
        // Closing hands the connection back to HikariCP, which restores autocommit.
    }

    @Override
    public UuidColumns uuids() {
        return UuidColumns.NATIVE;
    }

    /**
     * A session on a connection borrowed from the pool for one unit of work. The pool hands out a
     * different connection each time, so statements are not kept across units; the driver caches
     * the server-side prepared statements per physical connection itself. Closing the session
     * closes the statements it prepared.
     */
    private static final class PooledSession implements JdbcSession, AutoCloseable {
        private final Connection connection;
        private final List<PreparedStatement> statements = new ArrayList<>();

        PooledSession(Connection connection) {
            this.connection = connection;
        }

        @Override
        public PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement statement = connection.prepareStatement(sql);
            statements.add(statement);
            return statement;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        @Override
        public void rollback() throws SQLException {
            connection.rollback();
        }

        @Override
        public void close() throws SQLException {
            SQLException failure = null;
            for (PreparedStatement statement : statements) {
                try {
                    statement.close();
                } catch (SQLException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private Connection connection() throws SQLException {
        if (closed) {
            throw new SQLNonTransientConnectionException("the database is closed", "08003");
        }
        return pool.getConnection();
    }

    private static boolean isRetryable(SQLException e) {
        // 40001 serialization_failure, 40P01 deadlock_detected: the database rolled the transaction back.
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    /**
     * The one mapping from SQL errors to {@link StoreException}. Callers answer every kind with
     * UNAVAILABLE, so the kind is only in the message: whether the database is unreachable, a
     * statement ran out of time, or the database refused the statement.
     */
    static StoreException failure(String what, SQLException e) {
        String state = e.getSQLState() == null ? "none" : e.getSQLState();
        String kind;
        if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                || state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")) {
            // No connection, too many connections, out of disk or memory, the server shutting down.
            kind = "database unavailable";
        } else if (state.equals("57014")) {
            kind = "statement timed out";
        } else {
            kind = "database error";
        }
        return new StoreException(what + " (" + kind + ", SQLSTATE " + state + "): " + e.getMessage(), e);
    }

    /** Closes every connection; calls after this fail with {@link StoreException}. Safe to call twice. */
    @Override
    public void close() {
        closed = true;
        pool.close();
    }
}
