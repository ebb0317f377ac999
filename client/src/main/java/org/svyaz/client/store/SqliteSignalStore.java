// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.ReusedBaseKeyException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.groups.state.SenderKeyRecord;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SessionRecord;
import org.signal.libsignal.protocol.state.SignalProtocolStore;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * libsignal's protocol state on the account database. Identities are kept per account (all devices
 * of an account share its identity key), with a trust level:
 * <ul>
 *   <li>a first-seen key is trusted on first use;</li>
 *   <li>a changed key is stored as {@link TrustLevel#UNTRUSTED}: messages from it are still
 *       decrypted (and flagged), but sending to it is refused until the user accepts it.</li>
 * </ul>
 */
public final class SqliteSignalStore implements SignalProtocolStore {
    public static final String IDENTITY_KEY_PAIR = "identity_key_pair";
    public static final String REGISTRATION_ID = "registration_id";

    private final AccountDatabase db;
    private final Clock clock;

    public SqliteSignalStore(AccountDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    private <T> T sql(AccountDatabase.Work<T, RuntimeException> work) {
        return db.locked(work);
    }

    // ---- identity ----

    @Override
    public IdentityKeyPair getIdentityKeyPair() {
        try {
            return new IdentityKeyPair(db.setting(IDENTITY_KEY_PAIR));
        } catch (InvalidKeyException e) {
            throw new LocalStoreException("the account's identity key is damaged", e);
        }
    }

    @Override
    public int getLocalRegistrationId() {
        return Integer.parseInt(new String(db.setting(REGISTRATION_ID), StandardCharsets.UTF_8));
    }

    @Override
    public IdentityChange saveIdentity(SignalProtocolAddress address, IdentityKey identityKey) {
        return sql(() -> {
            Optional<IdentityRecord> existing = identity(address.getName());
            if (existing.isPresent() && existing.get().identityKey().equals(identityKey)) {
                return IdentityChange.NEW_OR_UNCHANGED;
            }
            TrustLevel trust = existing.isEmpty() ? TrustLevel.TRUSTED_UNVERIFIED : TrustLevel.UNTRUSTED;
            putIdentity(address.getName(), identityKey, trust);
            return existing.isEmpty() ? IdentityChange.NEW_OR_UNCHANGED : IdentityChange.REPLACED_EXISTING;
        });
    }

    @Override
    public boolean isTrustedIdentity(SignalProtocolAddress address, IdentityKey identityKey, Direction direction) {
        if (direction == Direction.RECEIVING) {
            // Never drop an incoming message over a key change; the message is flagged instead.
            return true;
        }
        return sql(() -> identity(address.getName())
                .map(r -> r.identityKey().equals(identityKey) && r.trust() != TrustLevel.UNTRUSTED)
                .orElse(true));
    }

    @Override
    public IdentityKey getIdentity(SignalProtocolAddress address) {
        return sql(() -> identity(address.getName()).map(IdentityRecord::identityKey).orElse(null));
    }

    public Optional<IdentityRecord> identity(String address) {
        return sql(() -> {
            try (PreparedStatement q = c().prepareStatement(
                    "SELECT identity_key, trust, added_at FROM identities WHERE address = ?")) {
                q.setString(1, address);
                try (ResultSet rows = q.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new IdentityRecord(address, identityKey(rows.getBytes(1)),
                            TrustLevel.values()[rows.getInt(2)], rows.getLong(3)));
                }
            }
        });
    }

    public List<IdentityRecord> identities() {
        return sql(() -> {
            List<IdentityRecord> records = new ArrayList<>();
            try (PreparedStatement q = c().prepareStatement(
                    "SELECT address, identity_key, trust, added_at FROM identities ORDER BY added_at");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    records.add(new IdentityRecord(rows.getString(1), identityKey(rows.getBytes(2)),
                            TrustLevel.values()[rows.getInt(3)], rows.getLong(4)));
                }
            }
            return records;
        });
    }

    /** Stores {@code identityKey} for the account with the given trust, replacing any other key. */
    public void putIdentity(String address, IdentityKey identityKey, TrustLevel trust) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement("""
                    INSERT OR REPLACE INTO identities (address, identity_key, trust, added_at) VALUES (?, ?, ?, ?)""")) {
                u.setString(1, address);
                u.setBytes(2, identityKey.serialize());
                u.setInt(3, trust.ordinal());
                u.setLong(4, clock.millis());
                return u.executeUpdate();
            }
        });
    }

    private static IdentityKey identityKey(byte[] bytes) {
        try {
            return new IdentityKey(bytes);
        } catch (InvalidKeyException e) {
            throw new LocalStoreException("a stored identity key is damaged", e);
        }
    }

    // ---- sessions ----

    @Override
    public SessionRecord loadSession(SignalProtocolAddress address) {
        return sql(() -> {
            try (PreparedStatement q = c().prepareStatement(
                    "SELECT record FROM sessions WHERE address = ? AND device_id = ?")) {
                q.setString(1, address.getName());
                q.setInt(2, address.getDeviceId());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? sessionRecord(rows.getBytes(1)) : null;
                }
            }
        });
    }

    @Override
    public List<SessionRecord> loadExistingSessions(List<SignalProtocolAddress> addresses) throws NoSessionException {
        List<SessionRecord> records = new ArrayList<>();
        for (SignalProtocolAddress address : addresses) {
            SessionRecord record = loadSession(address);
            if (record == null) {
                throw new NoSessionException("no session for a device of the recipient");
            }
            records.add(record);
        }
        return records;
    }

    @Override
    public List<Integer> getSubDeviceSessions(String name) {
        return sessionDevices(name).stream().filter(id -> id != 1).toList();
    }

    /** Every device of the account this device has a session with. */
    public List<Integer> sessionDevices(String name) {
        return sql(() -> {
            List<Integer> devices = new ArrayList<>();
            try (PreparedStatement q = c().prepareStatement(
                    "SELECT device_id FROM sessions WHERE address = ? ORDER BY device_id")) {
                q.setString(1, name);
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        devices.add(rows.getInt(1));
                    }
                }
            }
            return devices;
        });
    }

    @Override
    public void storeSession(SignalProtocolAddress address, SessionRecord record) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement(
                    "INSERT OR REPLACE INTO sessions (address, device_id, record) VALUES (?, ?, ?)")) {
                u.setString(1, address.getName());
                u.setInt(2, address.getDeviceId());
                u.setBytes(3, record.serialize());
                return u.executeUpdate();
            }
        });
    }

    @Override
    public boolean containsSession(SignalProtocolAddress address) {
        SessionRecord record = loadSession(address);
        return record != null && record.hasSenderChain();
    }

    @Override
    public void deleteSession(SignalProtocolAddress address) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement("DELETE FROM sessions WHERE address = ? AND device_id = ?")) {
                u.setString(1, address.getName());
                u.setInt(2, address.getDeviceId());
                return u.executeUpdate();
            }
        });
    }

    @Override
    public void deleteAllSessions(String name) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement("DELETE FROM sessions WHERE address = ?")) {
                u.setString(1, name);
                return u.executeUpdate();
            }
        });
    }

    private static SessionRecord sessionRecord(byte[] bytes) {
        try {
            return new SessionRecord(bytes);
        } catch (InvalidMessageException e) {
            throw new LocalStoreException("a stored session is damaged", e);
        }
    }

    // ---- one-time EC prekeys ----

    @Override
    public PreKeyRecord loadPreKey(int preKeyId) throws InvalidKeyIdException {
        byte[] bytes = loadRecord("pre_keys", preKeyId);
        if (bytes == null) {
            throw new InvalidKeyIdException("no such prekey: " + preKeyId);
        }
        try {
            return new PreKeyRecord(bytes);
        } catch (InvalidMessageException e) {
            throw new LocalStoreException("a stored prekey is damaged", e);
        }
    }

    @Override
    public void storePreKey(int preKeyId, PreKeyRecord record) {
        storeRecord("pre_keys", preKeyId, record.serialize());
    }

    @Override
    public boolean containsPreKey(int preKeyId) {
        return loadRecord("pre_keys", preKeyId) != null;
    }

    @Override
    public void removePreKey(int preKeyId) {
        removeRecord("pre_keys", preKeyId);
    }

    // ---- signed prekeys ----

    @Override
    public SignedPreKeyRecord loadSignedPreKey(int signedPreKeyId) throws InvalidKeyIdException {
        byte[] bytes = loadRecord("signed_pre_keys", signedPreKeyId);
        if (bytes == null) {
            throw new InvalidKeyIdException("no such signed prekey: " + signedPreKeyId);
        }
        try {
            return new SignedPreKeyRecord(bytes);
        } catch (InvalidMessageException e) {
            throw new LocalStoreException("a stored signed prekey is damaged", e);
        }
    }

    @Override
    public List<SignedPreKeyRecord> loadSignedPreKeys() {
        return sql(() -> {
            List<SignedPreKeyRecord> records = new ArrayList<>();
            try (PreparedStatement q = c().prepareStatement("SELECT record FROM signed_pre_keys ORDER BY id");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    records.add(new SignedPreKeyRecord(rows.getBytes(1)));
                }
            } catch (InvalidMessageException e) {
                throw new LocalStoreException("a stored signed prekey is damaged", e);
            }
            return records;
        });
    }

    @Override
    public void storeSignedPreKey(int signedPreKeyId, SignedPreKeyRecord record) {
        storeRecord("signed_pre_keys", signedPreKeyId, record.serialize());
    }

    @Override
    public boolean containsSignedPreKey(int signedPreKeyId) {
        return loadRecord("signed_pre_keys", signedPreKeyId) != null;
    }

    @Override
    public void removeSignedPreKey(int signedPreKeyId) {
        removeRecord("signed_pre_keys", signedPreKeyId);
    }

    // ---- Kyber prekeys ----

    @Override
    public KyberPreKeyRecord loadKyberPreKey(int kyberPreKeyId) throws InvalidKeyIdException {
        byte[] bytes = loadRecord("kyber_pre_keys", kyberPreKeyId);
        if (bytes == null) {
            throw new InvalidKeyIdException("no such Kyber prekey: " + kyberPreKeyId);
        }
        try {
            return new KyberPreKeyRecord(bytes);
        } catch (InvalidMessageException e) {
            throw new LocalStoreException("a stored Kyber prekey is damaged", e);
        }
    }

    @Override
    public List<KyberPreKeyRecord> loadKyberPreKeys() {
        return sql(() -> {
            List<KyberPreKeyRecord> records = new ArrayList<>();
            try (PreparedStatement q = c().prepareStatement("SELECT record FROM kyber_pre_keys ORDER BY id");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    records.add(new KyberPreKeyRecord(rows.getBytes(1)));
                }
            } catch (InvalidMessageException e) {
                throw new LocalStoreException("a stored Kyber prekey is damaged", e);
            }
            return records;
        });
    }

    @Override
    public void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record) {
        storeKyberPreKey(kyberPreKeyId, record, false);
    }

    public void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record, boolean lastResort) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement(
                    "INSERT OR REPLACE INTO kyber_pre_keys (id, record, last_resort) VALUES (?, ?, ?)")) {
                u.setInt(1, kyberPreKeyId);
                u.setBytes(2, record.serialize());
                u.setInt(3, lastResort ? 1 : 0);
                return u.executeUpdate();
            }
        });
    }

    @Override
    public boolean containsKyberPreKey(int kyberPreKeyId) {
        return loadRecord("kyber_pre_keys", kyberPreKeyId) != null;
    }

    @Override
    public void markKyberPreKeyUsed(int kyberPreKeyId, int signedPreKeyId, ECPublicKey baseKey)
            throws ReusedBaseKeyException {
        boolean reused = sql(() -> {
            boolean lastResort;
            try (PreparedStatement q = c().prepareStatement("SELECT last_resort FROM kyber_pre_keys WHERE id = ?")) {
                q.setInt(1, kyberPreKeyId);
                try (ResultSet rows = q.executeQuery()) {
                    lastResort = rows.next() && rows.getInt(1) == 1;
                }
            }
            if (!lastResort) {
                removeRecord("kyber_pre_keys", kyberPreKeyId);
                return false;
            }
            // A last-resort key stays; a replayed handshake would reuse its base key, so remember them.
            try (PreparedStatement u = c().prepareStatement(
                    "INSERT OR IGNORE INTO kyber_base_keys_seen (kyber_id, signed_id, base_key) VALUES (?, ?, ?)")) {
                u.setInt(1, kyberPreKeyId);
                u.setInt(2, signedPreKeyId);
                u.setBytes(3, baseKey.serialize());
                return u.executeUpdate() == 0;
            }
        });
        if (reused) {
            throw new ReusedBaseKeyException("this handshake was seen before");
        }
    }

    // ---- sender keys (groups use them; stored now so the store is complete) ----

    @Override
    public void storeSenderKey(SignalProtocolAddress sender, UUID distributionId, SenderKeyRecord record) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement("""
                    INSERT OR REPLACE INTO sender_keys (address, device_id, distribution_id, record) VALUES (?, ?, ?, ?)""")) {
                u.setString(1, sender.getName());
                u.setInt(2, sender.getDeviceId());
                u.setString(3, distributionId.toString());
                u.setBytes(4, record.serialize());
                return u.executeUpdate();
            }
        });
    }

    @Override
    public SenderKeyRecord loadSenderKey(SignalProtocolAddress sender, UUID distributionId) {
        return sql(() -> {
            try (PreparedStatement q = c().prepareStatement(
                    "SELECT record FROM sender_keys WHERE address = ? AND device_id = ? AND distribution_id = ?")) {
                q.setString(1, sender.getName());
                q.setInt(2, sender.getDeviceId());
                q.setString(3, distributionId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? new SenderKeyRecord(rows.getBytes(1)) : null;
                }
            } catch (InvalidMessageException e) {
                throw new LocalStoreException("a stored sender key is damaged", e);
            }
        });
    }

    // ---- helpers ----

    private Connection c() {
        return db.connection();
    }

    private byte[] loadRecord(String table, int id) {
        return sql(() -> {
            try (PreparedStatement q = c().prepareStatement("SELECT record FROM " + table + " WHERE id = ?")) {
                q.setInt(1, id);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? rows.getBytes(1) : null;
                }
            }
        });
    }

    private void storeRecord(String table, int id, byte[] record) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement(
                    "INSERT OR REPLACE INTO " + table + " (id, record) VALUES (?, ?)")) {
                u.setInt(1, id);
                u.setBytes(2, record);
                return u.executeUpdate();
            }
        });
    }

    private void removeRecord(String table, int id) {
        sql(() -> {
            try (PreparedStatement u = c().prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
                u.setInt(1, id);
                return u.executeUpdate();
            }
        });
    }

    /** After an identity reset: every prekey and session belonged to the old identity. */
    public void forgetKeysAndSessions() {
        sql(() -> {
            try (var s = c().createStatement()) {
                for (String table : new String[] {"pre_keys", "signed_pre_keys", "kyber_pre_keys",
                        "kyber_base_keys_seen", "sessions"}) {
                    s.executeUpdate("DELETE FROM " + table);
                }
            }
            return null;
        });
    }
}
