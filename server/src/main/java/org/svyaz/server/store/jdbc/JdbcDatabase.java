// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.sql.SQLException;
import org.svyaz.server.store.StoreException;

/**
 * A database the JDBC stores run on: the embedded SQLite file or the cluster's PostgreSQL. It owns
 * connections, transactions and the mapping of {@link SQLException}s to {@link StoreException}s; the
 * stores own the SQL.
 */
public interface JdbcDatabase extends AutoCloseable {
    /** A unit of work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(JdbcSession session) throws SQLException;
    }

    /** Runs {@code work}, which only reads; it sees everything committed before it started. */
    <T> T read(Work<T> work) throws StoreException;

    /**
     * Runs {@code work} atomically and returns once it is durable: all of its writes or none (an
     * exception undoes them). A unit that lost a race the database detected may be run again, so it
     * must not have effects outside the database.
     */
    <T> T write(Work<T> work) throws StoreException;

    /** How this database stores a UUID column. */
    UuidColumns uuids();

    /** Finishes or abandons pending work and releases every connection; later calls fail. */
    @Override
    void close();
}
