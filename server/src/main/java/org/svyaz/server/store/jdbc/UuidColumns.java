// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import org.svyaz.protocol.Uuids;

/** How a database stores account ids: SQLite has no UUID type (16 bytes in a BLOB), PostgreSQL has one. */
public enum UuidColumns {
    /** A 16-byte BLOB, most significant half first. */
    BYTES {
        @Override
        public void set(PreparedStatement statement, int index, UUID id) throws SQLException {
            statement.setBytes(index, Uuids.toBytes(id));
        }

        @Override
        public UUID get(ResultSet rows, int index) throws SQLException {
            return Uuids.fromBytes(rows.getBytes(index));
        }
    },
    /** The database's own {@code uuid} type. */
    NATIVE {
        @Override
        public void set(PreparedStatement statement, int index, UUID id) throws SQLException {
            statement.setObject(index, id);
        }

        @Override
        public UUID get(ResultSet rows, int index) throws SQLException {
            return rows.getObject(index, UUID.class);
        }
    };

    public abstract void set(PreparedStatement statement, int index, UUID id) throws SQLException;

    public abstract UUID get(ResultSet rows, int index) throws SQLException;
}
