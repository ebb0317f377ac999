// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/**
 * {@link AccountStore} on PostgreSQL. Registrations on different nodes race for the same username
 * hashes and invite codes; the unique index on {@code usernames.hash} and the row of the invite code
 * decide, inside one transaction per registration.
 */
public final class PostgresAccountStore implements AccountStore {
    private final PostgresDatabase database;

    public PostgresAccountStore(PostgresDatabase database) {
        this.database = database;
    }

    @Override
    public CreateAccountResult create(Account account, Device firstDevice, List<byte[]> usernameHashes,
                                      byte[] inviteCodeHash, long nowMillis) throws StoreException {
        return database.transaction(connection -> {
            // The account comes first because the username row refers to it; a rollback below undoes it.
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO accounts (id, identity_key, created_at) VALUES (?, ?, ?)")) {
                insert.setObject(1, account.id());
                insert.setBytes(2, account.identityKey());
                insert.setLong(3, account.createdAtMillis());
                insert.executeUpdate();
            }
            insertDevice(connection, account.id(), firstDevice);
            int claimed = claimFirstFree(connection, account.id(), usernameHashes);
            if (claimed < 0) {
                connection.rollback();
                return new CreateAccountResult.UsernamesTaken();
            }
            if (inviteCodeHash != null && !consumeInvite(connection, inviteCodeHash, nowMillis)) {
                connection.rollback(); // the username claimed above goes back too
                return new CreateAccountResult.InviteRejected();
            }
            return new CreateAccountResult.Created(claimed);
        });
    }

    /**
     * Tries the hashes in order and keeps the first one it can insert. A hash that another
     * registration inserted but has not committed makes this insert wait for that registration:
     * when it commits the hash counts as taken, when it rolls back the hash is free and claimed here.
     */
    private static int claimFirstFree(Connection connection, UUID accountId, List<byte[]> hashes) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO usernames (hash, account_id) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING")) {
            for (int i = 0; i < hashes.size(); i++) {
                insert.setBytes(1, hashes.get(i));
                insert.setObject(2, accountId);
                if (insert.executeUpdate() == 1) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Deletes the code if it is valid; of two registrations with one code, the second finds it gone. */
    private static boolean consumeInvite(Connection connection, byte[] codeHash, long nowMillis) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM invite_codes WHERE code_hash = ? AND expires_at > ?")) {
            delete.setBytes(1, codeHash);
            delete.setLong(2, nowMillis);
            return delete.executeUpdate() == 1;
        }
    }

    private static void insertDevice(Connection connection, UUID accountId, Device device) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO devices (account_id, device_id, registration_id, credential_salt, credential_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            insert.setObject(1, accountId);
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
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT identity_key, created_at FROM accounts WHERE id = ?")) {
                query.setObject(1, accountId);
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
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT account_id FROM usernames WHERE hash = ?")) {
                query.setBytes(1, usernameHash);
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getObject(1, UUID.class)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<Device> findDevice(UUID accountId, int deviceId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT device_id, registration_id, credential_salt, credential_hash, created_at
                    FROM devices WHERE account_id = ? AND device_id = ?""")) {
                query.setObject(1, accountId);
                query.setInt(2, deviceId);
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next() ? Optional.of(device(rows)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<Device> findDevices(UUID accountId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT device_id, registration_id, credential_salt, credential_hash, created_at
                    FROM devices WHERE account_id = ? ORDER BY device_id""")) {
                query.setObject(1, accountId);
                List<Device> devices = new ArrayList<>();
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        devices.add(device(rows));
                    }
                }
                return devices;
            }
        });
    }

    @Override
    public Map<UUID, List<Device>> findDevices(Collection<UUID> accountIds) throws StoreException {
        return database.run(connection -> {
            Map<UUID, List<Device>> byAccount = new HashMap<>();
            for (UUID accountId : accountIds) {
                byAccount.put(accountId, new ArrayList<>());
            }
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT device_id, registration_id, credential_salt, credential_hash, created_at, account_id
                    FROM devices WHERE account_id = ANY(?) ORDER BY account_id, device_id""")) {
                query.setArray(1, connection.createArrayOf("uuid", byAccount.keySet().toArray()));
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        byAccount.get(rows.getObject(6, UUID.class)).add(device(rows));
                    }
                }
            }
            return byAccount;
        });
    }

    private static Device device(ResultSet rows) throws SQLException {
        return new Device(rows.getInt(1), rows.getInt(2), rows.getBytes(3), rows.getBytes(4), rows.getLong(5));
    }

    @Override
    public boolean replaceIdentity(UUID accountId, byte[] identityKey, int keptDeviceId, int registrationId)
            throws StoreException {
        return database.transaction(connection -> {
            // The update locks the account row, so two resets of one account run one after the other.
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE accounts SET identity_key = ? WHERE id = ?")) {
                update.setBytes(1, identityKey);
                update.setObject(2, accountId);
                if (update.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM devices WHERE account_id = ? AND device_id <> ?")) {
                delete.setObject(1, accountId);
                delete.setInt(2, keptDeviceId);
                delete.executeUpdate();
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE devices SET registration_id = ? WHERE account_id = ? AND device_id = ?")) {
                update.setInt(1, registrationId);
                update.setObject(2, accountId);
                update.setInt(3, keptDeviceId);
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean setSealedSenderAccess(UUID accountId, SealedSenderAccess access) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE accounts SET access_key = ?, unrestricted_access = ? WHERE id = ?")) {
                update.setBytes(1, access.accessKey());
                update.setBoolean(2, access.unrestricted());
                update.setObject(3, accountId);
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<SealedSenderAccess> findSealedSenderAccess(UUID accountId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT access_key, unrestricted_access FROM accounts WHERE id = ?")) {
                query.setObject(1, accountId);
                try (ResultSet rows = query.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    byte[] key = rows.getBytes(1);
                    return Optional.of(new SealedSenderAccess(key == null ? new byte[0] : key, rows.getBoolean(2)));
                }
            }
        });
    }

    @Override
    public boolean setProfile(UUID accountId, byte[] profileCiphertext) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE accounts SET profile = ? WHERE id = ?")) {
                update.setBytes(1, profileCiphertext);
                update.setObject(2, accountId);
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<byte[]> findProfile(UUID accountId) throws StoreException {
        return database.run(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT profile FROM accounts WHERE id = ?")) {
                query.setObject(1, accountId);
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next() ? Optional.ofNullable(rows.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void addInviteCode(byte[] inviteCodeHash, long expiresAtMillis) throws StoreException {
        database.run(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO invite_codes (code_hash, expires_at) VALUES (?, ?)
                    ON CONFLICT (code_hash) DO UPDATE SET expires_at = excluded.expires_at""")) {
                insert.setBytes(1, inviteCodeHash);
                insert.setLong(2, expiresAtMillis);
                return insert.executeUpdate();
            }
        });
    }
}
