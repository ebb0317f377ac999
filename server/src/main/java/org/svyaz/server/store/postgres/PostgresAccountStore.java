// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.jdbc.JdbcAccountStore;

/** The account store on PostgreSQL: the shared SQL, and the devices of many accounts in one query. */
final class PostgresAccountStore extends JdbcAccountStore {
    PostgresAccountStore(PostgresDatabase database, PostgresKeyStore keys) {
        super(database, keys);
    }

    @Override
    public Map<UUID, List<Device>> findDevices(Collection<UUID> accountIds) throws StoreException {
        return database.read(session -> {
            Map<UUID, List<Device>> byAccount = new HashMap<>();
            for (UUID accountId : accountIds) {
                byAccount.put(accountId, new ArrayList<>());
            }
            PreparedStatement query = session.prepare("SELECT " + DEVICE_COLUMNS + """
                    , account_id FROM devices WHERE account_id = ANY(?) ORDER BY account_id, device_id""");
            query.setArray(1, session.connection().createArrayOf("uuid", byAccount.keySet().toArray()));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    byAccount.get(rows.getObject(6, UUID.class)).add(device(rows));
                }
            }
            return byAccount;
        });
    }
}
