// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.protocol.content.GroupState;

/**
 * The groups this account is or was in, each with the state it last accepted, and which member
 * devices already hold this device's sender key for the group (so the key is sent to each once).
 */
public final class GroupStore {
    private final AccountDatabase db;

    public GroupStore(AccountDatabase db) {
        this.db = db;
    }

    /**
     * A group as stored here.
     *
     * @param distributionId names this device's current sender key for the group; replaced when a
     *     member is removed, so the removed member never gets the key of later messages
     * @param member whether this account is still in the group
     */
    public record StoredGroup(GroupState state, UUID distributionId, boolean member) {}

    /** A member device that holds our sender key. */
    public record Holder(UUID account, int device) {}

    public Optional<StoredGroup> group(byte[] groupId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT state, distribution_id, member FROM groups WHERE id = ?")) {
                q.setBytes(1, groupId);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(read(rows)) : Optional.empty();
                }
            }
        });
    }

    /** Every group, in the order they became known. */
    public List<StoredGroup> all() {
        return db.locked(() -> {
            List<StoredGroup> groups = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT state, distribution_id, member FROM groups ORDER BY rowid");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    groups.add(read(rows));
                }
            }
            return groups;
        });
    }

    private static StoredGroup read(ResultSet rows) throws SQLException {
        try {
            return new StoredGroup(GroupState.parseFrom(rows.getBytes(1)), UUID.fromString(rows.getString(2)),
                    rows.getInt(3) == 1);
        } catch (InvalidProtocolBufferException e) {
            throw new LocalStoreException("a stored group is unreadable", e);
        }
    }

    /** Stores the group's state (replacing the previous one). */
    public void put(StoredGroup group) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("""
                    INSERT INTO groups (id, state, distribution_id, member) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET state = excluded.state, distribution_id = excluded.distribution_id,
                                                   member = excluded.member""")) {
                u.setBytes(1, group.state().getId().toByteArray());
                u.setBytes(2, group.state().toByteArray());
                u.setString(3, group.distributionId().toString());
                u.setInt(4, group.member() ? 1 : 0);
                return u.executeUpdate();
            }
        });
    }

    public Set<Holder> holders(byte[] groupId, UUID distributionId) {
        return db.locked(() -> {
            Set<Holder> holders = new HashSet<>();
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT account_id, device_id FROM sender_key_holders WHERE group_id = ? AND distribution_id = ?")) {
                q.setBytes(1, groupId);
                q.setString(2, distributionId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        holders.add(new Holder(UUID.fromString(rows.getString(1)), rows.getInt(2)));
                    }
                }
            }
            return holders;
        });
    }

    public void addHolders(byte[] groupId, UUID distributionId, UUID account, List<Integer> devices) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("""
                    INSERT OR IGNORE INTO sender_key_holders (group_id, distribution_id, account_id, device_id)
                    VALUES (?, ?, ?, ?)""")) {
                for (int device : devices) {
                    u.setBytes(1, groupId);
                    u.setString(2, distributionId.toString());
                    u.setString(3, account.toString());
                    u.setInt(4, device);
                    u.addBatch();
                }
                return u.executeBatch();
            }
        });
    }

    /** A device that was reinstalled lost our key: it must get it again. */
    public void forgetHolder(UUID account, int device) {
        db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement(
                    "DELETE FROM sender_key_holders WHERE account_id = ? AND device_id = ?")) {
                d.setString(1, account.toString());
                d.setInt(2, device);
                return d.executeUpdate();
            }
        });
    }

    /** After our key for the group was replaced nobody holds the new one yet. */
    public void forgetHolders(byte[] groupId) {
        db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement("DELETE FROM sender_key_holders WHERE group_id = ?")) {
                d.setBytes(1, groupId);
                return d.executeUpdate();
            }
        });
    }
}
