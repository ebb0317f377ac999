// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.jdbc;

import java.nio.ByteBuffer;
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
import org.svyaz.server.store.DeviceKeys;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/**
 * {@link AccountStore} in SQL that SQLite and PostgreSQL both speak. Registrations on different
 * cluster nodes race for the same username hashes and invite codes; the unique index on
 * {@code usernames.hash} and the row of the invite code decide, inside one write per registration.
 * A database subclass overrides only what it does better ({@code PostgresAccountStore}).
 */
public class JdbcAccountStore implements AccountStore {
    protected static final String DEVICE_COLUMNS = "device_id, registration_id, credential_salt, credential_hash, created_at";

    protected final JdbcDatabase database;
    protected final UuidColumns uuids;
    /** Writes a device's first keys inside this store's transactions (same database). */
    private final JdbcKeyStore keys;

    public JdbcAccountStore(JdbcDatabase database, JdbcKeyStore keys) {
        this.database = database;
        this.uuids = database.uuids();
        this.keys = keys;
    }

    @Override
    public CreateAccountResult create(Account account, Device firstDevice, DeviceKeys firstDeviceKeys,
                                      SealedSenderAccess access, List<byte[]> usernameHashes, byte[] inviteCodeHash,
                                      long nowMillis) throws StoreException {
        return database.write(session -> {
            // The account comes first because the username row refers to it; a rollback below undoes it.
            PreparedStatement insert = session.prepare(
                    "INSERT INTO accounts (id, identity_key, created_at) VALUES (?, ?, ?)");
            uuids.set(insert, 1, account.id());
            insert.setBytes(2, account.identityKey());
            insert.setLong(3, account.createdAtMillis());
            insert.executeUpdate();
            insertDevice(session, account.id(), firstDevice);
            // The invite before the usernames: someone without a valid invite must learn nothing,
            // not even whether a username is taken, on a server that registers by invite only.
            if (inviteCodeHash != null && !consumeInvite(session, inviteCodeHash, nowMillis)) {
                session.rollback();
                return new CreateAccountResult.InviteRejected();
            }
            int claimed = claimFirstFree(session, account.id(), usernameHashes);
            if (claimed < 0) {
                session.rollback(); // the invite consumed above goes back too
                return new CreateAccountResult.UsernamesTaken();
            }
            // Last and in the same transaction: if they fail, the username claimed above is free again.
            keys.insertDeviceKeys(session, account.id(), firstDevice.id(), firstDeviceKeys);
            updateAccess(session, account.id(), access);
            return new CreateAccountResult.Created(claimed);
        });
    }

    /**
     * Tries the hashes in order and keeps the first one it can insert. On PostgreSQL a hash that
     * another registration inserted but has not committed makes this insert wait for it: when it
     * commits the hash counts as taken, when it rolls back the hash is free and claimed here.
     */
    private int claimFirstFree(JdbcSession session, UUID accountId, List<byte[]> hashes) throws SQLException {
        PreparedStatement insert = session.prepare(
                "INSERT INTO usernames (hash, account_id) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING");
        for (int i = 0; i < hashes.size(); i++) {
            insert.setBytes(1, hashes.get(i));
            uuids.set(insert, 2, accountId);
            if (insert.executeUpdate() == 1) {
                return i;
            }
        }
        return -1;
    }

    /** Deletes the code if it is valid; of two registrations with one code, the second finds it gone. */
    private static boolean consumeInvite(JdbcSession session, byte[] codeHash, long nowMillis) throws SQLException {
        PreparedStatement delete = session.prepare("DELETE FROM invite_codes WHERE code_hash = ? AND expires_at > ?");
        delete.setBytes(1, codeHash);
        delete.setLong(2, nowMillis);
        return delete.executeUpdate() == 1;
    }

    private void insertDevice(JdbcSession session, UUID accountId, Device device) throws SQLException {
        PreparedStatement insert = session.prepare("INSERT INTO devices (account_id, " + DEVICE_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?)");
        uuids.set(insert, 1, accountId);
        insert.setInt(2, device.id());
        insert.setInt(3, device.registrationId());
        insert.setBytes(4, device.credentialSalt());
        insert.setBytes(5, device.credentialHash());
        insert.setLong(6, device.createdAtMillis());
        insert.executeUpdate();
    }

    @Override
    public Optional<Account> findAccount(UUID accountId) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("SELECT identity_key, created_at FROM accounts WHERE id = ?");
            uuids.set(query, 1, accountId);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next()
                        ? Optional.of(new Account(accountId, rows.getBytes(1), rows.getLong(2)))
                        : Optional.empty();
            }
        });
    }

    @Override
    public Optional<UUID> findByUsernameHash(byte[] usernameHash) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("SELECT account_id FROM usernames WHERE hash = ?");
            query.setBytes(1, usernameHash);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(uuids.get(rows, 1)) : Optional.empty();
            }
        });
    }

    @Override
    public Optional<Device> findDevice(UUID accountId, int deviceId) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare(
                    "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE account_id = ? AND device_id = ?");
            uuids.set(query, 1, accountId);
            query.setInt(2, deviceId);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(device(rows)) : Optional.empty();
            }
        });
    }

    @Override
    public List<Device> findDevices(UUID accountId) throws StoreException {
        return database.read(session -> devicesOf(session, accountId));
    }

    /**
     * One read and one prepared statement for all accounts: the per-read overhead, not the query, is
     * what a thousand separate reads cost on the embedded database. PostgreSQL asks in one query.
     */
    @Override
    public Map<UUID, List<Device>> findDevices(Collection<UUID> accountIds) throws StoreException {
        return database.read(session -> {
            Map<UUID, List<Device>> byAccount = new HashMap<>();
            for (UUID accountId : accountIds) {
                if (!byAccount.containsKey(accountId)) {
                    byAccount.put(accountId, devicesOf(session, accountId));
                }
            }
            return byAccount;
        });
    }

    private List<Device> devicesOf(JdbcSession session, UUID accountId) throws SQLException {
        PreparedStatement query = session.prepare(
                "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE account_id = ? ORDER BY device_id");
        uuids.set(query, 1, accountId);
        List<Device> devices = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                devices.add(device(rows));
            }
        }
        return devices;
    }

    /** The device in the first five columns of the current row, in {@link #DEVICE_COLUMNS} order. */
    protected static Device device(ResultSet rows) throws SQLException {
        return new Device(rows.getInt(1), rows.getInt(2), rows.getBytes(3), rows.getBytes(4), rows.getLong(5));
    }

    @Override
    public boolean replaceIdentity(UUID accountId, byte[] identityKey, int keptDeviceId, int registrationId,
                                   DeviceKeys keptDeviceKeys) throws StoreException {
        return database.write(session -> {
            // On PostgreSQL the update locks the account row, so two resets of one account run one after the other.
            PreparedStatement update = session.prepare("UPDATE accounts SET identity_key = ? WHERE id = ?");
            update.setBytes(1, identityKey);
            uuids.set(update, 2, accountId);
            if (update.executeUpdate() == 0) {
                return false;
            }
            PreparedStatement delete = session.prepare("DELETE FROM devices WHERE account_id = ? AND device_id <> ?");
            uuids.set(delete, 1, accountId);
            delete.setInt(2, keptDeviceId);
            delete.executeUpdate();
            PreparedStatement keep = session.prepare(
                    "UPDATE devices SET registration_id = ? WHERE account_id = ? AND device_id = ?");
            keep.setInt(1, registrationId);
            uuids.set(keep, 2, accountId);
            keep.setInt(3, keptDeviceId);
            if (keep.executeUpdate() != 1) {
                session.rollback();
                return false;
            }
            keys.deleteAll(session, accountId);
            keys.insertDeviceKeys(session, accountId, keptDeviceId, keptDeviceKeys);
            return true;
        });
    }

    @Override
    public boolean setSealedSenderAccess(UUID accountId, SealedSenderAccess access) throws StoreException {
        return database.write(session -> updateAccess(session, accountId, access));
    }

    private boolean updateAccess(JdbcSession session, UUID accountId, SealedSenderAccess access) throws SQLException {
        PreparedStatement update = session.prepare(
                "UPDATE accounts SET access_key = ?, unrestricted_access = ? WHERE id = ?");
        update.setBytes(1, access.accessKey());
        // A boolean column on PostgreSQL, 0 or 1 in an INTEGER on SQLite: both drivers bind it right.
        update.setBoolean(2, access.unrestricted());
        uuids.set(update, 3, accountId);
        return update.executeUpdate() == 1;
    }

    @Override
    public Optional<SealedSenderAccess> findSealedSenderAccess(UUID accountId) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare(
                    "SELECT access_key, unrestricted_access FROM accounts WHERE id = ?");
            uuids.set(query, 1, accountId);
            try (ResultSet rows = query.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                byte[] key = rows.getBytes(1);
                return Optional.of(new SealedSenderAccess(key == null ? new byte[0] : key, rows.getBoolean(2)));
            }
        });
    }

    @Override
    public boolean setProfile(UUID accountId, byte[] profileCiphertext) throws StoreException {
        return database.write(session -> {
            PreparedStatement update = session.prepare("UPDATE accounts SET profile = ? WHERE id = ?");
            update.setBytes(1, profileCiphertext);
            uuids.set(update, 2, accountId);
            return update.executeUpdate() == 1;
        });
    }

    @Override
    public Optional<byte[]> findProfile(UUID accountId) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("SELECT profile FROM accounts WHERE id = ?");
            uuids.set(query, 1, accountId);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.ofNullable(rows.getBytes(1)) : Optional.empty();
            }
        });
    }

    @Override
    public List<UUID> accountIds(Optional<UUID> after, int limit) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare(after.isPresent()
                    ? "SELECT id FROM accounts WHERE id > ? ORDER BY id LIMIT ?"
                    : "SELECT id FROM accounts ORDER BY id LIMIT ?");
            int next = 1;
            if (after.isPresent()) {
                uuids.set(query, next++, after.get());
            }
            query.setInt(next, limit);
            List<UUID> ids = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    ids.add(uuids.get(rows, 1));
                }
            }
            return ids;
        });
    }

    @Override
    public Map<ByteBuffer, Long> openInviteCodes(long nowMillis) throws StoreException {
        return database.read(session -> {
            PreparedStatement query = session.prepare("SELECT code_hash, expires_at FROM invite_codes WHERE expires_at > ?");
            query.setLong(1, nowMillis);
            Map<ByteBuffer, Long> codes = new HashMap<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    codes.put(ByteBuffer.wrap(rows.getBytes(1)), rows.getLong(2));
                }
            }
            return codes;
        });
    }

    @Override
    public void addInviteCode(byte[] inviteCodeHash, long expiresAtMillis) throws StoreException {
        database.write(session -> {
            PreparedStatement upsert = session.prepare("""
                    INSERT INTO invite_codes (code_hash, expires_at) VALUES (?, ?)
                    ON CONFLICT (code_hash) DO UPDATE SET expires_at = excluded.expires_at""");
            upsert.setBytes(1, inviteCodeHash);
            upsert.setLong(2, expiresAtMillis);
            return upsert.executeUpdate();
        });
    }
}
