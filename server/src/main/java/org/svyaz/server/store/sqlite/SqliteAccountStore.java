// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.protocol.Uuids;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/** {@link AccountStore} on the embedded SQLite database. */
public final class SqliteAccountStore implements AccountStore {
    private final SqliteDatabase database;

    public SqliteAccountStore(SqliteDatabase database) {
        this.database = database;
    }

    @Override
    public CreateAccountResult create(Account account, Device firstDevice, List<byte[]> usernameHashes,
                                      byte[] inviteCodeHash, long nowMillis) throws StoreException {
        return database.write(connection -> {
            int free = firstFreeUsername(connection, usernameHashes);
            if (free < 0) {
                return new CreateAccountResult.UsernamesTaken();
            }
            if (inviteCodeHash != null && !consumeInvite(connection, inviteCodeHash, nowMillis)) {
                return new CreateAccountResult.InviteRejected();
            }
            byte[] id = Uuids.toBytes(account.id());
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO accounts (id, identity_key, created_at) VALUES (?, ?, ?)")) {
                insert.setBytes(1, id);
                insert.setBytes(2, account.identityKey());
                insert.setLong(3, account.createdAtMillis());
                insert.executeUpdate();
            }
            insertDevice(connection, id, firstDevice);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO usernames (hash, account_id) VALUES (?, ?)")) {
                insert.setBytes(1, usernameHashes.get(free));
                insert.setBytes(2, id);
                insert.executeUpdate();
            }
            return new CreateAccountResult.Created(free);
        });
    }

    private static int firstFreeUsername(Connection connection, List<byte[]> hashes) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT 1 FROM usernames WHERE hash = ?")) {
            for (int i = 0; i < hashes.size(); i++) {
                query.setBytes(1, hashes.get(i));
                try (ResultSet rows = query.executeQuery()) {
                    if (!rows.next()) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    private static boolean consumeInvite(Connection connection, byte[] codeHash, long nowMillis) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM invite_codes WHERE code_hash = ? AND expires_at > ?")) {
            delete.setBytes(1, codeHash);
            delete.setLong(2, nowMillis);
            return delete.executeUpdate() == 1;
        }
    }

    private static void insertDevice(Connection connection, byte[] accountId, Device device) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO devices (account_id, device_id, registration_id, credential_salt, credential_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            insert.setBytes(1, accountId);
            insert.setInt(2, device.id());
            insert.setInt(3, device.registrationId());
            insert.setBytes(4, device.credentialSalt());
            insert.setBytes(5, device.credentialHash());
            insert.setLong(6, device.createdAtMillis());
            insert.executeUpdate();
        }
    }

    @Override
    public Optional<Account> findAccount(UUID accountId) throws StoreException {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT identity_key, created_at FROM accounts WHERE id = ?")) {
                query.setBytes(1, Uuids.toBytes(accountId));
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next()
                            ? Optional.of(new Account(accountId, rows.getBytes(1), rows.getLong(2)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<UUID> findByUsernameHash(byte[] usernameHash) throws StoreException {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT account_id FROM usernames WHERE hash = ?")) {
                query.setBytes(1, usernameHash);
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next() ? Optional.of(Uuids.fromBytes(rows.getBytes(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<Device> findDevice(UUID accountId, int deviceId) throws StoreException {
        return findDevices(accountId).stream().filter(d -> d.id() == deviceId).findFirst();
    }

    @Override
    public List<Device> findDevices(UUID accountId) throws StoreException {
        return database.read(connection -> devicesOf(connection, accountId));
    }

    @Override
    public Map<UUID, List<Device>> findDevices(Collection<UUID> accountIds) throws StoreException {
        // One connection and one prepared statement for all: the per-read overhead, not the query,
        // is what a thousand separate reads cost.
        return database.read(connection -> {
            Map<UUID, List<Device>> byAccount = new HashMap<>();
            for (UUID accountId : accountIds) {
                if (!byAccount.containsKey(accountId)) {
                    byAccount.put(accountId, devicesOf(connection, accountId));
                }
            }
            return byAccount;
        });
    }

    private List<Device> devicesOf(Connection connection, UUID accountId) throws SQLException {
        PreparedStatement query = database.prepared(connection, """
                SELECT device_id, registration_id, credential_salt, credential_hash, created_at
                FROM devices WHERE account_id = ? ORDER BY device_id""");
        query.setBytes(1, Uuids.toBytes(accountId));
        List<Device> devices = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                devices.add(new Device(rows.getInt(1), rows.getInt(2), rows.getBytes(3), rows.getBytes(4),
                        rows.getLong(5)));
            }
        }
        return devices;
    }

    @Override
    public boolean replaceIdentity(UUID accountId, byte[] identityKey, int keptDeviceId, int registrationId)
            throws StoreException {
        return database.write(connection -> {
            byte[] id = Uuids.toBytes(accountId);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE accounts SET identity_key = ? WHERE id = ?")) {
                update.setBytes(1, identityKey);
                update.setBytes(2, id);
                if (update.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM devices WHERE account_id = ? AND device_id <> ?")) {
                delete.setBytes(1, id);
                delete.setInt(2, keptDeviceId);
                delete.executeUpdate();
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE devices SET registration_id = ? WHERE account_id = ? AND device_id = ?")) {
                update.setInt(1, registrationId);
                update.setBytes(2, id);
                update.setInt(3, keptDeviceId);
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean setSealedSenderAccess(UUID accountId, SealedSenderAccess access) throws StoreException {
        return database.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE accounts SET access_key = ?, unrestricted_access = ? WHERE id = ?")) {
                update.setBytes(1, access.accessKey());
                update.setInt(2, access.unrestricted() ? 1 : 0);
                update.setBytes(3, Uuids.toBytes(accountId));
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<SealedSenderAccess> findSealedSenderAccess(UUID accountId) throws StoreException {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT access_key, unrestricted_access FROM accounts WHERE id = ?")) {
                query.setBytes(1, Uuids.toBytes(accountId));
                try (ResultSet rows = query.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    byte[] key = rows.getBytes(1);
                    return Optional.of(new SealedSenderAccess(key == null ? new byte[0] : key, rows.getInt(2) == 1));
                }
            }
        });
    }

    @Override
    public boolean setProfile(UUID accountId, byte[] profileCiphertext) throws StoreException {
        return database.write(connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE accounts SET profile = ? WHERE id = ?")) {
                update.setBytes(1, profileCiphertext);
                update.setBytes(2, Uuids.toBytes(accountId));
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<byte[]> findProfile(UUID accountId) throws StoreException {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT profile FROM accounts WHERE id = ?")) {
                query.setBytes(1, Uuids.toBytes(accountId));
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next() ? Optional.ofNullable(rows.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void addInviteCode(byte[] inviteCodeHash, long expiresAtMillis) throws StoreException {
        database.write(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT OR REPLACE INTO invite_codes (code_hash, expires_at) VALUES (?, ?)")) {
                insert.setBytes(1, inviteCodeHash);
                insert.setLong(2, expiresAtMillis);
                return insert.executeUpdate();
            }
        });
    }
}
