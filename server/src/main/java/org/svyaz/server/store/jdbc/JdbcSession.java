// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * One unit of work's view of a database connection: what a {@link JdbcDatabase.Work} is handed.
 * It hides the two things the embedded and the cluster database do differently around a statement:
 * how statements are kept (SQLite reuses them per connection, PostgreSQL's pool hands out a different
 * connection each time) and how a unit undoes its own writes (a savepoint inside SQLite's group
 * commit, a rollback of PostgreSQL's transaction).
 */
public interface JdbcSession {
    /**
     * A statement for {@code sql}, ready to bind. The database owns it: the caller must not close it,
     * must close the result sets it opens, and sets every parameter before use.
     */
    PreparedStatement prepare(String sql) throws SQLException;

    /** The connection itself, for what {@link #prepare} does not cover (arrays, plain statements). */
    Connection connection();

    /**
     * Undoes everything this unit wrote so far; the unit may go on and return a result, which its
     * caller then gets as usual. Only a write may call it.
     */
    void rollback() throws SQLException;
}
