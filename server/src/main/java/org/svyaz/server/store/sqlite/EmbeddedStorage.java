// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.nio.file.Path;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcAccountStore;
import org.svyaz.server.store.jdbc.JdbcKeyStore;
import org.svyaz.server.store.jdbc.JdbcMailboxStore;

/** The default storage: every store on one SQLite file, {@code DATA/svyaz.db}, in the shared SQL of {@code store.jdbc}. */
public record EmbeddedStorage(SqliteDatabase database, AccountStore accounts, KeyStore keys, MailboxStore mailbox)
        implements Storage {
    public static final String DATABASE_FILE = "svyaz.db";

    public static EmbeddedStorage open(Path dataDir) throws StoreException {
        SqliteDatabase database = SqliteDatabase.open(dataDir.resolve(DATABASE_FILE));
        JdbcKeyStore keys = new JdbcKeyStore(database);
        return new EmbeddedStorage(database, new JdbcAccountStore(database, keys), keys,
                new JdbcMailboxStore(database));
    }

    @Override
    public void close() {
        database.close();
    }
}
