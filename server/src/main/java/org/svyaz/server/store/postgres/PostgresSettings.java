// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the PostgreSQL database of a cluster, validated when made.
 *
 * @param jdbcUrl          {@code jdbc:postgresql://HOST:PORT/DATABASE}
 * @param password         may be empty (trust or peer authentication); never logged
 * @param poolSize         connections this node keeps open; every node counts against the server's
 *                         {@code max_connections}
 * @param connectTimeout   how long a caller waits for a connection, from the pool or a new one, before
 *                         the store fails; a database that is down fails within this bound
 * @param statementTimeout how long one statement may run, lock waits included, before the database
 *                         cancels it; a connection that stops answering is dropped a little later
 */
public record PostgresSettings(String jdbcUrl, String user, String password, int poolSize,
                               Duration connectTimeout, Duration statementTimeout) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(15);

    public PostgresSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("a PostgreSQL JDBC URL starts with jdbc:postgresql:");
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("the pool needs at least one connection");
        }
        // HikariCP refuses connection timeouts under 250 ms; the driver counts in whole seconds.
        if (connectTimeout.compareTo(Duration.ofMillis(250)) < 0 || statementTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("connect timeout must be at least 250 ms, statement timeout at least 1 s");
        }
    }

    /** The given database with the default timeouts. */
    public static PostgresSettings of(String jdbcUrl, String user, String password, int poolSize) {
        return new PostgresSettings(jdbcUrl, user, password, poolSize, DEFAULT_CONNECT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT);
    }

    public PostgresSettings withTimeouts(Duration connect, Duration statement) {
        return new PostgresSettings(jdbcUrl, user, password, poolSize, connect, statement);
    }

    /** Keeps the password out of logs and exception messages. */
    @Override
    public String toString() {
        return "PostgresSettings[" + jdbcUrl + ", user " + user + ", pool " + poolSize + "]";
    }
}
