// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;

/**
 * Cluster storage: every store on one PostgreSQL database that all server nodes share. Blobs are not
 * here; they stay in a directory, which the nodes of a cluster share (see the README).
 */
public record PostgresStorage(PostgresDatabase database, AccountStore accounts, KeyStore keys, MailboxStore mailbox)
        implements Storage {

    /** Connects with a pool of {@code poolSize} connections and the default timeouts, migrating the schema. */
    public static PostgresStorage open(String jdbcUrl, String user, String password, int poolSize)
            throws StoreException {
        return open(PostgresSettings.of(jdbcUrl, user, password, poolSize));
    }

    /** Connects and brings the schema up to date; fails within the connect timeout when the database is down. */
    public static PostgresStorage open(PostgresSettings settings) throws StoreException {
        PostgresDatabase database = PostgresDatabase.open(settings);
        PostgresKeyStore keys = new PostgresKeyStore(database);
        return new PostgresStorage(database, new PostgresAccountStore(database, keys), keys,
                new PostgresMailboxStore(database));
    }

    @Override
    public void close() {
        database.close();
    }
}
