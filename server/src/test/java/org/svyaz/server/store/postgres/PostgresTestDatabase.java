// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Properties;

/**
 * A fresh, empty PostgreSQL database with a random name, made through the server's {@code postgres}
 * database and dropped on {@link #close()}, so that no two tests (or test runs, or worktrees) ever
 * see each other's data. The server is the one running on the machine, found like libpq does:
 * {@code PGHOST} (default 127.0.0.1), {@code PGPORT} (5432), {@code PGUSER} (postgres) and
 * {@code PGPASSWORD} (none). A database left behind by a killed test run is named
 * {@code svyaz_test_*} and can be dropped by hand.
 */
public final class PostgresTestDatabase implements AutoCloseable {
    private static final String HOST = env("PGHOST", "127.0.0.1");
    private static final String PORT = env("PGPORT", "5432");
    private static final String USER = env("PGUSER", "postgres");
    private static final String PASSWORD = env("PGPASSWORD", "");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private boolean dropped;

    private PostgresTestDatabase(String name) {
        this.name = name;
    }

    /**
     * Creates the database. Fails (never skips) when PostgreSQL cannot be reached: a test run
     * without it would silently stop checking the cluster stores.
     */
    public static PostgresTestDatabase create() {
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        String name = "svyaz_test_" + HexFormat.of().formatHex(suffix);
        try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + HOST + ":" + PORT + " as user " + USER
                    + " (" + e.getMessage() + "). These tests need a real PostgreSQL: start it with "
                    + "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', or run .ci/run, "
                    + "which installs and starts it; PGHOST, PGPORT, PGUSER and PGPASSWORD choose another server.", e);
        }
        return new PostgresTestDatabase(name);
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return url(name);
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    /** Settings for a store on this database, with the default timeouts. */
    public PostgresSettings settings(int poolSize) {
        return PostgresSettings.of(jdbcUrl(), USER, PASSWORD, poolSize);
    }

    /** A connection of its own to this database, as another node or an operator's psql would have. */
    public Connection connect() throws SQLException {
        return connect(name);
    }

    /** Drops the database, closing whatever connections a failed test left open; safe to call twice. */
    @Override
    public void close() throws SQLException {
        if (dropped) {
            return;
        }
        try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
        dropped = true;
    }

    private static Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", USER);
        properties.setProperty("password", PASSWORD);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "60");
        return DriverManager.getConnection(url(database), properties);
    }

    private static String url(String database) {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
