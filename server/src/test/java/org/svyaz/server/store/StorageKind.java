// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.nio.file.Path;
import org.svyaz.server.store.postgres.PostgresStorageFixture;
import org.svyaz.server.store.sqlite.SqliteStorageFixture;

/** Every database the server's stores run on; the store contracts run once for each. */
public enum StorageKind {
    /** SQLite in a fresh data directory. */
    EMBEDDED {
        @Override
        public StorageFixture newFixture(Path directory) {
            return new SqliteStorageFixture(directory);
        }
    },
    /** A fresh database on the PostgreSQL running on this machine (see {@code PostgresTestDatabase}). */
    POSTGRES {
        @Override
        public StorageFixture newFixture(Path directory) {
            return new PostgresStorageFixture();
        }
    };

    /** A fixture for one test; {@code directory} is the test's own, for databases that are files. */
    public abstract StorageFixture newFixture(Path directory);
}
