// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.client.api.GroupInfo;
import org.svyaz.client.api.Quote;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.GroupState;
import org.svyaz.protocol.content.StoredAttachment;
import org.svyaz.protocol.content.StoredAttachmentState;
import org.svyaz.protocol.content.StoredAttachments;
import org.svyaz.protocol.content.StoredSignal;

/**
 * The local inbox, the received-envelope ids that make delivery exactly-once for the user, and the
 * contacts (account id to confirmed username).
 */
public final class LocalMessages {
    private final AccountDatabase db;

    public LocalMessages(AccountDatabase db) {
        this.db = db;
    }

    public boolean isReceived(byte[] guid) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement("SELECT 1 FROM received_envelopes WHERE guid = ?")) {
                q.setBytes(1, guid);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    /**
     * Whether a message from this sender's device with this timestamp is stored: a sender that
     * retries a send keeps the timestamp, so a second copy is recognised even under a new envelope.
     */
    public boolean hasMessage(UUID sourceAccount, int sourceDevice, long timestamp) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT 1 FROM inbox WHERE source_account = ? AND timestamp = ? AND source_device = ?
                                        AND signal IS NULL AND error IS NULL""")) {
                q.setString(1, sourceAccount.toString());
                q.setLong(2, timestamp);
                q.setInt(3, sourceDevice);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    public void markReceived(byte[] guid, long nowMillis) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR IGNORE INTO received_envelopes (guid, received_at) VALUES (?, ?)")) {
                u.setBytes(1, guid);
                u.setLong(2, nowMillis);
                return u.executeUpdate();
            }
        });
    }

    public void insert(UUID sourceAccount, String claimedUsername, int sourceDevice, long timestamp,
                       long serverTimestamp, String body, String error, boolean untrusted) {
        insert(sourceAccount, claimedUsername, sourceDevice, timestamp, serverTimestamp, body, error, untrusted, 0, false);
    }

    public void insert(UUID sourceAccount, String claimedUsername, int sourceDevice, long timestamp,
                       long serverTimestamp, String body, String error, boolean untrusted, int expireSeconds,
                       boolean timerUpdate) {
        insert(sourceAccount, claimedUsername, sourceDevice, timestamp, serverTimestamp, body, error, untrusted,
                expireSeconds, timerUpdate, List.of());
    }

    public long insert(UUID sourceAccount, String claimedUsername, int sourceDevice, long timestamp,
                       long serverTimestamp, String body, String error, boolean untrusted, int expireSeconds,
                       boolean timerUpdate, List<ReceivedAttachment> attachments) {
        return insert(sourceAccount, claimedUsername, sourceDevice, timestamp, serverTimestamp, body, error, untrusted,
                expireSeconds, timerUpdate, attachments, null, false);
    }

    /**
     * Stores a received message; returns its local id. {@code groupId} is null for a one-to-one
     * message; {@code groupUpdate} marks a message that changed the group.
     */
    public long insert(UUID sourceAccount, String claimedUsername, int sourceDevice, long timestamp,
                       long serverTimestamp, String body, String error, boolean untrusted, int expireSeconds,
                       boolean timerUpdate, List<ReceivedAttachment> attachments, byte[] groupId, boolean groupUpdate) {
        return db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("""
                    INSERT INTO inbox (source_account, source_username, source_device, timestamp, server_timestamp,
                                       body, error, untrusted, expire_seconds, timer_update, attachments, group_id,
                                       group_update)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                u.setBytes(11, attachments.isEmpty() ? null : encode(attachments));
                u.setBytes(12, groupId);
                u.setInt(13, groupUpdate ? 1 : 0);
                u.setString(1, sourceAccount.toString());
                u.setString(2, claimedUsername);
                u.setInt(3, sourceDevice);
                u.setLong(4, timestamp);
                u.setLong(5, serverTimestamp);
                u.setString(6, body);
                u.setString(7, error);
                u.setInt(8, untrusted ? 1 : 0);
                u.setInt(9, expireSeconds);
                u.setInt(10, timerUpdate ? 1 : 0);
                u.executeUpdate();
            }
            try (Statement q = db.connection().createStatement();
                 ResultSet rows = q.executeQuery("SELECT last_insert_rowid()")) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    /**
     * A received message's file as stored: what the user sees, and while it is not downloaded the
     * pointer (blob id, key, digest) that fetches it on request.
     */
    public record StoredFile(ReceivedAttachment attachment, Optional<AttachmentPointer> pointer) {}

    /** Replaces what is known of a message's attachments (once they are downloaded, or failed). */
    public void setAttachments(long localId, List<StoredFile> files) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("UPDATE inbox SET attachments = ? WHERE id = ?")) {
                u.setBytes(1, encodeFiles(files));
                u.setLong(2, localId);
                return u.executeUpdate();
            }
        });
    }

    /**
     * As {@link #setAttachments}, unless the message was deleted meanwhile (for everyone, or its
     * timer ran out); returns whether it was still there.
     */
    public boolean setAttachmentsIfPresent(long localId, List<StoredFile> files) {
        return db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "UPDATE inbox SET attachments = ? WHERE id = ? AND remote_deleted = 0")) {
                u.setBytes(1, encodeFiles(files));
                u.setLong(2, localId);
                return u.executeUpdate() == 1;
            }
        });
    }

    /** A received message's sent timestamp and files, for fetching them on request. */
    public record FilesOf(long timestamp, List<StoredFile> files) {}

    /** The files of received message {@code localId}; empty when there is no such message (or it was deleted). */
    public Optional<FilesOf> storedFiles(long localId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT timestamp, attachments FROM inbox WHERE id = ? AND signal IS NULL AND remote_deleted = 0")) {
                q.setLong(1, localId);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(new FilesOf(rows.getLong(1), decodeFiles(rows.getBytes(2))))
                            : Optional.empty();
                }
            }
        });
    }

    static byte[] encode(List<ReceivedAttachment> attachments) {
        return encodeFiles(attachments.stream().map(a -> new StoredFile(a, Optional.empty())).toList());
    }

    static byte[] encodeFiles(List<StoredFile> files) {
        StoredAttachments.Builder stored = StoredAttachments.newBuilder();
        for (StoredFile file : files) {
            ReceivedAttachment a = file.attachment();
            StoredAttachment.Builder item = StoredAttachment.newBuilder()
                    .setPath(a.path().map(Path::toString).orElse(""))
                    .setFileName(a.fileName()).setSize(a.size()).setContentType(a.contentType())
                    .setError(a.error().orElse(""))
                    .setVoiceNote(a.voiceNote())
                    .setState(switch (a.state()) {
                        case SAVED -> StoredAttachmentState.STORED_ATTACHMENT_STATE_SAVED;
                        case NOT_DOWNLOADED -> StoredAttachmentState.STORED_ATTACHMENT_STATE_NOT_DOWNLOADED;
                        case REFUSED -> StoredAttachmentState.STORED_ATTACHMENT_STATE_REFUSED;
                        case FAILED -> StoredAttachmentState.STORED_ATTACHMENT_STATE_FAILED;
                    });
            file.pointer().ifPresent(item::setPointer);
            stored.addItems(item);
        }
        return stored.build().toByteArray();
    }

    static List<ReceivedAttachment> decode(byte[] bytes) {
        return decodeFiles(bytes).stream().map(StoredFile::attachment).toList();
    }

    static List<StoredFile> decodeFiles(byte[] bytes) {
        if (bytes == null) {
            return List.of();
        }
        try {
            List<StoredFile> files = new ArrayList<>();
            for (var item : StoredAttachments.parseFrom(bytes).getItemsList()) {
                Optional<Path> path = item.getPath().isEmpty() ? Optional.empty() : Optional.of(Path.of(item.getPath()));
                ReceivedAttachment.State state = switch (item.getState()) {
                    case STORED_ATTACHMENT_STATE_SAVED -> ReceivedAttachment.State.SAVED;
                    case STORED_ATTACHMENT_STATE_NOT_DOWNLOADED -> ReceivedAttachment.State.NOT_DOWNLOADED;
                    case STORED_ATTACHMENT_STATE_REFUSED -> ReceivedAttachment.State.REFUSED;
                    case STORED_ATTACHMENT_STATE_FAILED -> ReceivedAttachment.State.FAILED;
                    // Written before the state was kept: a path means the file is here.
                    case STORED_ATTACHMENT_STATE_UNSPECIFIED, UNRECOGNIZED ->
                            path.isPresent() ? ReceivedAttachment.State.SAVED : ReceivedAttachment.State.FAILED;
                };
                files.add(new StoredFile(new ReceivedAttachment(path,
                        item.getFileName(), item.getSize(), item.getContentType(),
                        item.getError().isEmpty() ? Optional.empty() : Optional.of(item.getError()),
                        item.getVoiceNote(), state),
                        item.hasPointer() ? Optional.of(item.getPointer()) : Optional.empty()));
            }
            return files;
        } catch (InvalidProtocolBufferException e) {
            throw new LocalStoreException("a stored message's attachment list is unreadable", e);
        }
    }

    /**
     * Whether this account wrote to {@code account} in a one-to-one conversation, or, for a
     * group's message ({@code groupId} not null), to that group: a message with text or files
     * in the {@code sent} table. Files from anyone else wait until the user asks for them.
     */
    public boolean wroteTo(UUID account, byte[] groupId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT 1 FROM sent WHERE conversation IN (?, ?) LIMIT 1")) {
                q.setString(1, account.toString());
                q.setString(2, groupId == null ? account.toString() : LocalSignals.groupConversation(groupId));
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    /** A message not yet shown, with the sender's claimed (unconfirmed) username. */
    public record Pending(ReceivedMessage message, Optional<String> claimedUsername) {}

    /** Messages stored but not yet shown to the user, oldest first. */
    public List<Pending> unshown() {
        return unshown(Set.of());
    }

    /**
     * As {@link #unshown()}, leaving out the ids in {@code stillArriving}. The set is read under the
     * database lock, so a message whose files are written meanwhile is either left out or read
     * with its files, never in between.
     */
    public List<Pending> unshown(Set<Long> stillArriving) {
        return db.locked(() -> {
            List<Pending> pending = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT i.id, i.source_account, i.source_username, i.source_device, i.timestamp, i.server_timestamp,
                           i.body, i.error, i.untrusted, i.expire_seconds, i.timer_update, i.attachments, i.quote_id,
                           i.quote_author, i.quote_text, i.signal, i.group_id, i.group_update, g.state
                    FROM inbox i LEFT JOIN groups g ON g.id = i.group_id WHERE i.shown = 0 ORDER BY i.id""");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    if (stillArriving.contains(rows.getLong(1))) {
                        continue;
                    }
                    rows.getLong(13);
                    Optional<Quote> quote = rows.wasNull() ? Optional.empty() : Optional.of(new Quote(rows.getLong(13),
                            UUID.fromString(rows.getString(14)), Optional.ofNullable(rows.getString(15)).orElse("")));
                    Optional<StoredSignal> signal = decodeSignal(rows.getBytes(16));
                    ReceivedMessage message = new ReceivedMessage(rows.getLong(1), UUID.fromString(rows.getString(2)),
                            Optional.empty(), Optional.empty(), rows.getInt(4), rows.getLong(5), rows.getLong(6),
                            Optional.ofNullable(rows.getString(7)), Optional.ofNullable(rows.getString(8)),
                            rows.getInt(9) == 1, rows.getInt(10), rows.getInt(11) == 1, decode(rows.getBytes(12)),
                            quote, signal.map(LocalSignals::toApi),
                            signal.map(StoredSignal::getNotApplied).filter(text -> !text.isEmpty()),
                            groupInfo(rows.getBytes(17), rows.getInt(18) == 1, rows.getBytes(19)));
                    pending.add(new Pending(message, Optional.ofNullable(rows.getString(3))));
                }
            }
            return pending;
        });
    }

    private static Optional<GroupInfo> groupInfo(byte[] groupId, boolean update, byte[] state) {
        if (groupId == null) {
            return Optional.empty();
        }
        String id = Base64.getEncoder().encodeToString(groupId);
        try {
            GroupState known = state == null
                    ? GroupState.getDefaultInstance()
                    : GroupState.parseFrom(state);
            return Optional.of(new GroupInfo(id, known.getTitle(), known.getRevision(), update));
        } catch (InvalidProtocolBufferException e) {
            throw new LocalStoreException("a stored group is unreadable", e);
        }
    }

    private static Optional<StoredSignal> decodeSignal(byte[] bytes) {
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(StoredSignal.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new LocalStoreException("a stored signal is unreadable", e);
        }
    }

    /**
     * Marks a message shown; a disappearing message's timer starts now, as when it is read. A signal
     * row (receipt, typing, ...) has done its work once shown and is deleted.
     */
    public void markShown(long localId, long nowMillis) {
        db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement(
                    "DELETE FROM inbox WHERE id = ? AND signal IS NOT NULL")) {
                d.setLong(1, localId);
                if (d.executeUpdate() > 0) {
                    return 1;
                }
            }
            try (PreparedStatement u = db.connection().prepareStatement("""
                    UPDATE inbox SET shown = 1,
                      expires_at = CASE WHEN expire_seconds > 0 THEN ? + expire_seconds * 1000 ELSE NULL END
                    WHERE id = ?""")) {
                u.setLong(1, nowMillis);
                u.setLong(2, localId);
                return u.executeUpdate();
            }
        });
    }

    /** Deletes messages whose disappearing timer ran out; returns how many. */
    public int deleteExpired(long nowMillis) {
        return db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement(
                    "DELETE FROM inbox WHERE expires_at IS NOT NULL AND expires_at <= ?")) {
                d.setLong(1, nowMillis);
                return d.executeUpdate();
            }
        });
    }

    /** The conversation's disappearing-message timer in seconds; 0 when off. */
    public int expireSeconds(UUID accountId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT expire_seconds FROM conversations WHERE account_id = ?")) {
                q.setString(1, accountId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? rows.getInt(1) : 0;
                }
            }
        });
    }

    public void setExpireSeconds(UUID accountId, int seconds) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR REPLACE INTO conversations (account_id, expire_seconds) VALUES (?, ?)")) {
                u.setString(1, accountId.toString());
                u.setInt(2, seconds);
                return u.executeUpdate();
            }
        });
    }

    public Optional<String> contactUsername(UUID accountId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement("SELECT username FROM contacts WHERE account_id = ?")) {
                q.setString(1, accountId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
                }
            }
        });
    }

    public Optional<UUID> contactAccount(String username) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement("SELECT account_id FROM contacts WHERE username = ?")) {
                q.setString(1, username);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(UUID.fromString(rows.getString(1))) : Optional.empty();
                }
            }
        });
    }

    /** A contact: an account id and the username the server confirmed for it. */
    public record Contact(UUID accountId, String username) {}

    /** Every contact, by username. */
    public List<Contact> contacts() {
        return db.locked(() -> {
            List<Contact> contacts = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT account_id, username FROM contacts ORDER BY username")) {
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        contacts.add(new Contact(UUID.fromString(rows.getString(1)), rows.getString(2)));
                    }
                }
            }
            return contacts;
        });
    }

    /** The profile key a contact sent us, which lets us send to them with sealed sender. */
    public Optional<byte[]> profileKey(UUID accountId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT profile_key FROM profile_keys WHERE account_id = ?")) {
                q.setString(1, accountId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    /** A cached profile name and when it was fetched; the name is empty when the contact has none. */
    public record CachedName(Optional<String> name, long fetchedAtMillis) {}

    public Optional<CachedName> profileName(UUID accountId) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT name, fetched_at FROM profile_names WHERE account_id = ?")) {
                q.setString(1, accountId.toString());
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next()
                            ? Optional.of(new CachedName(Optional.ofNullable(rows.getString(1)), rows.getLong(2)))
                            : Optional.empty();
                }
            }
        });
    }

    public void putProfileName(UUID accountId, Optional<String> name, long nowMillis) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR REPLACE INTO profile_names (account_id, name, fetched_at) VALUES (?, ?, ?)")) {
                u.setString(1, accountId.toString());
                u.setString(2, name.orElse(null));
                u.setLong(3, nowMillis);
                return u.executeUpdate();
            }
        });
    }

    /** Stores a contact's profile key; a changed key invalidates the cached profile name. */
    public void putProfileKey(UUID accountId, byte[] profileKey) {
        Optional<byte[]> previous = profileKey(accountId);
        if (previous.isPresent() && Arrays.equals(previous.get(), profileKey)) {
            return; // every message carries the key; most of the time it is the one we have
        }
        if (previous.isPresent()) {
            db.locked(() -> {
                try (PreparedStatement d = db.connection().prepareStatement(
                        "DELETE FROM profile_names WHERE account_id = ?")) {
                    d.setString(1, accountId.toString());
                    return d.executeUpdate();
                }
            });
        }
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR REPLACE INTO profile_keys (account_id, profile_key) VALUES (?, ?)")) {
                u.setString(1, accountId.toString());
                u.setBytes(2, profileKey);
                return u.executeUpdate();
            }
        });
    }

    /** Records a confirmed username; a username that moved to another account replaces the old mapping. */
    public void putContact(UUID accountId, String username) {
        db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement("DELETE FROM contacts WHERE username = ?")) {
                d.setString(1, username);
                d.executeUpdate();
            }
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR REPLACE INTO contacts (account_id, username) VALUES (?, ?)")) {
                u.setString(1, accountId.toString());
                u.setString(2, username);
                return u.executeUpdate();
            }
        });
    }
}
