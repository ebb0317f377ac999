// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server;

import java.util.Objects;
import org.svyaz.server.store.postgres.PostgresSettings;

/**
 * Where a server keeps accounts, keys and mailboxes: the embedded SQLite store in its data directory
 * (the default, one node), or a PostgreSQL database that every node of a cluster shares.
 */
public sealed interface StorageSettings {
    /** SQLite in {@code DATA/svyaz.db}. */
    StorageSettings EMBEDDED = new Embedded();

    record Embedded() implements StorageSettings {}

    record Postgres(PostgresSettings settings) implements StorageSettings {
        public Postgres {
            Objects.requireNonNull(settings, "settings");
        }
    }

    /** For the start-up line and errors: names the kind, never the password. */
    default String describe() {
        return switch (this) {
            case Embedded e -> "embedded";
            case Postgres p -> "postgres";
        };
    }
}
