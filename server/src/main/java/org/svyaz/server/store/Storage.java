// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/**
 * Every store a server needs, opened together on one database and closed together.
 * Implementations: {@code EmbeddedStorage} (SQLite in the data directory, the default) and
 * {@code PostgresStorage} (a PostgreSQL database shared by the nodes of a cluster).
 */
public interface Storage extends AutoCloseable {
    AccountStore accounts();

    KeyStore keys();

    MailboxStore mailbox();

    /** Finishes or abandons pending work and releases the database; later calls on the stores fail. */
    @Override
    void close();
}
