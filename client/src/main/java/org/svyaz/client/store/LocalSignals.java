// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.client.api.Quote;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.ReceivedSignal;
import org.svyaz.client.groups.GroupId;
import org.svyaz.protocol.content.ReceiptMessage;
import org.svyaz.protocol.content.StoredAttachments;
import org.svyaz.protocol.content.StoredSignal;
import org.svyaz.protocol.content.TypingMessage;
import org.svyaz.client.CallMessages;

/**
 * What was said about messages after they were sent (schema v6, see {@link AccountDatabase}):
 *
 * <ul>
 *   <li>{@code sent}: each message with a body or files this device sent, per conversation (the
 *       recipient's account id, or {@code group:} and the group's id) and sent timestamp, with its
 *       text and the message it quotes (v10), so that receipts, reactions, edits and deletes can
 *       find it; rows of a disappearing conversation expire like received ones.
 *   <li>{@code receipts}: per sent message and recipient, when it was delivered, read, viewed. A
 *       group message gets an empty row per member it was sent to, filled as their receipts come.
 *   <li>{@code reactions}: per conversation and message (author, sent timestamp), each reactor's emoji.
 *   <li>{@code owed_receipts}: delivery receipts this device still has to send.
 *   <li>in {@code inbox}: the quote a received message carries, its latest edit, whether it was
 *       deleted for everyone, and rows that are signals (receipt, typing, ...) to be shown once; such
 *       a row holds a {@link StoredSignal} in {@code signal} and is deleted when shown.
 * </ul>
 *
 * A message is named by its author and sent timestamp, within one conversation: a reaction from
 * one contact can never touch a message of the conversation with another.
 */
public final class LocalSignals {
    private final AccountDatabase db;

    public LocalSignals(AccountDatabase db) {
        this.db = db;
    }

    // ---------------------------------------------------------------- sent messages and receipts

    /**
     * Records a sent message with the copies of its files kept here and the message it replies to;
     * a timer of {@code expireSeconds} starts now, as the sender sends.
     */
    public void recordSent(UUID conversation, long timestamp, String body, List<ReceivedAttachment> files,
                           Optional<Quote> quote, int expireSeconds, long nowMillis) {
        db.locked(() -> {
            insertSent(conversation.toString(), timestamp, body, files, quote, expireSeconds, nowMillis);
            return null;
        });
    }

    /**
     * The name of a group's conversation in the {@code sent} table, where one-to-one conversations
     * are named by the contact's account id.
     */
    static String groupConversation(byte[] groupId) {
        return "group:" + Base64.getEncoder().encodeToString(groupId);
    }

    /**
     * Records a message sent to a group, so the group's conversation shows it, with an empty
     * receipt row per {@code recipients} (the other members when it was sent): only they can mark
     * it delivered or read (see {@link LocalConversations#groupConversation}).
     */
    public void recordSentToGroup(byte[] groupId, long timestamp, String body, List<ReceivedAttachment> files,
                                  Optional<Quote> quote, Collection<UUID> recipients, long nowMillis) {
        db.inTransaction(() -> {
            long sentId = insertSent(groupConversation(groupId), timestamp, body, files, quote, 0, nowMillis);
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR IGNORE INTO receipts (sent_id, account) VALUES (?, ?)")) {
                for (UUID recipient : recipients) {
                    u.setLong(1, sentId);
                    u.setString(2, recipient.toString());
                    u.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Inserts a row of {@code sent} and returns its id; the caller holds the lock. */
    private long insertSent(String conversation, long timestamp, String body, List<ReceivedAttachment> files,
                            Optional<Quote> quote, int expireSeconds, long nowMillis) throws SQLException {
        try (PreparedStatement u = db.connection().prepareStatement("""
                INSERT OR REPLACE INTO sent (conversation, timestamp, body, expires_at, attachments,
                                             quote_id, quote_author, quote_text)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            u.setString(1, conversation);
            u.setLong(2, timestamp);
            u.setString(3, body);
            if (expireSeconds > 0) {
                u.setLong(4, nowMillis + expireSeconds * 1000L);
            } else {
                u.setNull(4, Types.INTEGER);
            }
            u.setBytes(5, files.isEmpty() ? null : LocalMessages.encode(files));
            if (quote.isPresent()) {
                u.setLong(6, quote.get().id());
                u.setString(7, quote.get().author().toString());
                u.setString(8, quote.get().text());
            } else {
                u.setNull(6, Types.INTEGER);
                u.setNull(7, Types.VARCHAR);
                u.setNull(8, Types.VARCHAR);
            }
            u.executeUpdate();
        }
        try (Statement q = db.connection().createStatement();
             ResultSet rows = q.executeQuery("SELECT last_insert_rowid()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /**
     * Applies a receipt from {@code account} to the messages this device sent it, alone or in a
     * group it was a member of when the message was sent; returns the timestamps that name no such
     * message. A read or viewed message counts as delivered too.
     */
    public List<Long> applyReceipt(UUID account, ReceiptType type, List<Long> timestamps, long atMillis) {
        return db.locked(() -> {
            List<Long> unknown = new ArrayList<>();
            for (long timestamp : timestamps) {
                Optional<Long> sentId = sentId(account, timestamp);
                if (sentId.isPresent()) {
                    try (PreparedStatement u = db.connection().prepareStatement(
                            "INSERT OR IGNORE INTO receipts (sent_id, account) VALUES (?, ?)")) {
                        u.setLong(1, sentId.get());
                        u.setString(2, account.toString());
                        u.executeUpdate();
                    }
                } else {
                    // A group message has its recipients' rows from the send: a receipt from
                    // anyone else names nothing.
                    sentId = sentToGroupMember(account, timestamp);
                }
                if (sentId.isEmpty()) {
                    unknown.add(timestamp);
                    continue;
                }
                // The first receipt of each kind counts; later ones (a second device, a repeat) change nothing.
                try (PreparedStatement u = db.connection().prepareStatement("""
                        UPDATE receipts SET delivered_at = COALESCE(delivered_at, ?),
                          read_at = CASE WHEN ? >= 1 THEN COALESCE(read_at, ?) ELSE read_at END,
                          viewed_at = CASE WHEN ? >= 2 THEN COALESCE(viewed_at, ?) ELSE viewed_at END
                        WHERE sent_id = ? AND account = ?""")) {
                    u.setLong(1, atMillis);
                    u.setInt(2, type.ordinal());
                    u.setLong(3, atMillis);
                    u.setInt(4, type.ordinal());
                    u.setLong(5, atMillis);
                    u.setLong(6, sentId.get());
                    u.setString(7, account.toString());
                    u.executeUpdate();
                }
            }
            return unknown;
        });
    }

    private Optional<Long> sentId(UUID conversation, long timestamp) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT id FROM sent WHERE conversation = ? AND timestamp = ?")) {
                q.setString(1, conversation.toString());
                q.setLong(2, timestamp);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
                }
            }
        });
    }

    /** A message sent to a group at {@code timestamp} with {@code member} among its recipients; under the lock. */
    private Optional<Long> sentToGroupMember(UUID member, long timestamp) throws SQLException {
        try (PreparedStatement q = db.connection().prepareStatement("""
                SELECT s.id FROM sent s JOIN receipts r ON r.sent_id = s.id
                WHERE s.timestamp = ? AND r.account = ? AND s.conversation LIKE 'group:%'""")) {
            q.setLong(1, timestamp);
            q.setString(2, member.toString());
            try (ResultSet rows = q.executeQuery()) {
                return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
            }
        }
    }

    /**
     * The authors of a group's received messages among {@code timestamps}, each with the timestamps
     * of theirs: whom read receipts for them go to.
     */
    public Map<UUID, List<Long>> authorsInGroup(byte[] groupId, List<Long> timestamps) {
        return db.locked(() -> {
            Map<UUID, List<Long>> authors = new LinkedHashMap<>();
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT DISTINCT source_account FROM inbox WHERE group_id = ? AND timestamp = ?
                      AND signal IS NULL AND error IS NULL AND group_update = 0""")) {
                for (long timestamp : timestamps) {
                    q.setBytes(1, groupId);
                    q.setLong(2, timestamp);
                    try (ResultSet rows = q.executeQuery()) {
                        while (rows.next()) {
                            authors.computeIfAbsent(UUID.fromString(rows.getString(1)), k -> new ArrayList<>())
                                    .add(timestamp);
                        }
                    }
                }
            }
            return authors;
        });
    }

    /** Remembers that a receipt is owed to {@code account}; {@link #owed} hands it to the sender. */
    public void owe(UUID account, ReceiptType type, long timestamp) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "INSERT OR IGNORE INTO owed_receipts (account, type, timestamp) VALUES (?, ?, ?)")) {
                u.setString(1, account.toString());
                u.setInt(2, type.ordinal());
                u.setLong(3, timestamp);
                return u.executeUpdate();
            }
        });
    }

    /** Receipts owed to one account, of one type: they travel in one message. */
    public record Owed(UUID account, ReceiptType type, List<Long> timestamps) {}

    public List<Owed> owed() {
        return db.locked(() -> {
            Map<String, Owed> grouped = new LinkedHashMap<>();
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT account, type, timestamp FROM owed_receipts ORDER BY account, type, timestamp");
                 ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    UUID account = UUID.fromString(rows.getString(1));
                    ReceiptType type = ReceiptType.values()[rows.getInt(2)];
                    grouped.computeIfAbsent(account + "/" + type, k -> new Owed(account, type, new ArrayList<>()))
                            .timestamps().add(rows.getLong(3));
                }
            }
            return List.copyOf(grouped.values());
        });
    }

    /** The receipts were sent, or can never be: they are no longer owed. */
    public void forget(Owed owed) {
        db.inTransaction(() -> {
            for (long timestamp : owed.timestamps()) {
                try (PreparedStatement d = db.connection().prepareStatement(
                        "DELETE FROM owed_receipts WHERE account = ? AND type = ? AND timestamp = ?")) {
                    d.setString(1, owed.account().toString());
                    d.setInt(2, owed.type().ordinal());
                    d.setLong(3, timestamp);
                    d.executeUpdate();
                }
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- finding a message

    /** Where a message is stored: a received one in {@code inbox}, one this device sent in {@code sent}. */
    public sealed interface Target {
        long rowId();

        boolean remoteDeleted();

        Optional<String> body();
    }

    public record Received(long rowId, boolean remoteDeleted, Optional<String> body) implements Target {}

    public record Sent(long rowId, boolean remoteDeleted, Optional<String> body) implements Target {}

    /**
     * The message of the one-to-one conversation with {@code conversation} that {@code author}
     * sent at {@code timestamp}: a sent one when the author is {@code self}, a received one when it
     * is the contact, nothing for anyone else.
     */
    public Optional<Target> find(UUID conversation, UUID self, UUID author, long timestamp) {
        if (author.equals(self)) {
            return sentTarget(conversation.toString(), timestamp);
        }
        return author.equals(conversation) ? receivedTarget(Optional.empty(), author, timestamp) : Optional.empty();
    }

    /** As {@link #find}, in a group's conversation: a message any member (or this account) sent to it. */
    public Optional<Target> findInGroup(byte[] groupId, UUID self, UUID author, long timestamp) {
        return author.equals(self)
                ? sentTarget(groupConversation(groupId), timestamp)
                : receivedTarget(Optional.of(groupId), author, timestamp);
    }

    private Optional<Target> sentTarget(String conversation, long timestamp) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT id, remote_deleted, body FROM sent WHERE conversation = ? AND timestamp = ?")) {
                q.setString(1, conversation);
                q.setLong(2, timestamp);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next()
                            ? Optional.of(new Sent(rows.getLong(1), rows.getInt(2) == 1,
                                    Optional.ofNullable(rows.getString(3))))
                            : Optional.empty();
                }
            }
        });
    }

    /** A real message (no signal row, none that failed to decrypt) from {@code author}, in the group or not. */
    private Optional<Target> receivedTarget(Optional<byte[]> groupId, UUID author, long timestamp) {
        return db.locked(() -> {
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT id, remote_deleted, body FROM inbox
                    WHERE source_account = ? AND timestamp = ? AND signal IS NULL AND error IS NULL
                      AND (group_id = ? OR (? IS NULL AND group_id IS NULL))
                    ORDER BY id LIMIT 1""")) {
                q.setString(1, author.toString());
                q.setLong(2, timestamp);
                q.setBytes(3, groupId.orElse(null));
                q.setBytes(4, groupId.orElse(null));
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next()
                            ? Optional.of(new Received(rows.getLong(1), rows.getInt(2) == 1,
                                    Optional.ofNullable(rows.getString(3))))
                            : Optional.empty();
                }
            }
        });
    }

    // ---------------------------------------------------------------- edits, deletes, reactions, quotes

    /** Replaces a message's text (the old text is overwritten: secure_delete). */
    public void edit(Target target, String body, long editTimestamp) {
        String table = target instanceof Sent ? "sent" : "inbox";
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "UPDATE " + table + " SET body = ?, edited_at = ? WHERE id = ?")) {
                u.setString(1, body);
                u.setLong(2, editTimestamp);
                u.setLong(3, target.rowId());
                return u.executeUpdate();
            }
        });
    }

    /**
     * Deletes a message for everyone here: its text, its files (received, or the copies of sent ones), the reactions to it
     * and the text other messages quote from it are erased; the row stays, marked, so the
     * conversation shows that a message was deleted. The caller checkpoints the WAL afterwards.
     */
    public void erase(Target target, UUID conversation, UUID author, long timestamp) {
        db.inTransaction(() -> {
            eraseRow(target, conversation.toString(), author, timestamp);
            try (PreparedStatement u = db.connection().prepareStatement("""
                    UPDATE inbox SET quote_text = '' WHERE source_account = ? AND quote_author = ? AND quote_id = ?""")) {
                u.setString(1, conversation.toString());
                u.setString(2, author.toString());
                u.setLong(3, timestamp);
                u.executeUpdate();
            }
            eraseSentQuotes(conversation.toString(), author, timestamp);
            return null;
        });
    }

    /** As {@link #erase}, for a message of a group's conversation: quotes of it by any member are erased. */
    public void eraseInGroup(Target target, byte[] groupId, UUID author, long timestamp) {
        db.inTransaction(() -> {
            eraseRow(target, groupConversation(groupId), author, timestamp);
            try (PreparedStatement u = db.connection().prepareStatement("""
                    UPDATE inbox SET quote_text = '' WHERE group_id = ? AND quote_author = ? AND quote_id = ?""")) {
                u.setBytes(1, groupId);
                u.setString(2, author.toString());
                u.setLong(3, timestamp);
                u.executeUpdate();
            }
            eraseSentQuotes(groupConversation(groupId), author, timestamp);
            return null;
        });
    }

    /** Erases the text this device's replies in {@code conversation} quote from a deleted message; in the caller's transaction. */
    private void eraseSentQuotes(String conversation, UUID author, long timestamp) throws SQLException {
        try (PreparedStatement u = db.connection().prepareStatement("""
                UPDATE sent SET quote_text = '' WHERE conversation = ? AND quote_author = ? AND quote_id = ?""")) {
            u.setString(1, conversation);
            u.setString(2, author.toString());
            u.setLong(3, timestamp);
            u.executeUpdate();
        }
    }

    /** Erases a message's text and files, marks it deleted and drops the reactions to it; in the caller's transaction. */
    private void eraseRow(Target target, String conversation, UUID author, long timestamp) throws SQLException {
        if (target instanceof Received) {
            deleteFiles("inbox", target.rowId());
            try (PreparedStatement u = db.connection().prepareStatement("""
                    UPDATE inbox SET body = NULL, attachments = NULL, quote_text = NULL, remote_deleted = 1
                    WHERE id = ?""")) {
                u.setLong(1, target.rowId());
                u.executeUpdate();
            }
        } else {
            deleteFiles("sent", target.rowId());
            try (PreparedStatement u = db.connection().prepareStatement(
                    "UPDATE sent SET body = NULL, attachments = NULL, quote_text = NULL, remote_deleted = 1 WHERE id = ?")) {
                u.setLong(1, target.rowId());
                u.executeUpdate();
            }
        }
        try (PreparedStatement d = db.connection().prepareStatement(
                "DELETE FROM reactions WHERE conversation = ? AND target_author = ? AND target_timestamp = ?")) {
            d.setString(1, conversation);
            d.setString(2, author.toString());
            d.setLong(3, timestamp);
            d.executeUpdate();
        }
    }

    /** Deletes the files of a row of {@code table} ({@code inbox} or {@code sent}). */
    private void deleteFiles(String table, long rowId) throws SQLException {
        try (PreparedStatement q = db.connection().prepareStatement("SELECT attachments FROM " + table + " WHERE id = ?")) {
            q.setLong(1, rowId);
            try (ResultSet rows = q.executeQuery()) {
                if (rows.next()) {
                    deleteFiles(rows.getBytes(1));
                }
            }
        }
    }

    private static void deleteFiles(byte[] stored) {
        if (stored == null) {
            return;
        }
        try {
            for (var item : StoredAttachments.parseFrom(stored).getItemsList()) {
                if (!item.getPath().isEmpty()) {
                    Files.deleteIfExists(Path.of(item.getPath()));
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new LocalStoreException("a stored message's attachment list is unreadable", e);
        } catch (IOException e) {
            throw new LocalStoreException("cannot delete a deleted message's file: " + e.getMessage(), e);
        }
    }

    /** Sets the reactor's reaction to a message, replacing the reactor's earlier one. */
    public void react(UUID conversation, UUID targetAuthor, long targetTimestamp, UUID reactor, String emoji,
                      long atMillis) {
        react(conversation.toString(), targetAuthor, targetTimestamp, reactor, emoji, atMillis);
    }

    /** Sets the reactor's reaction to a message of a group's conversation. */
    public void reactInGroup(byte[] groupId, UUID targetAuthor, long targetTimestamp, UUID reactor, String emoji,
                             long atMillis) {
        react(groupConversation(groupId), targetAuthor, targetTimestamp, reactor, emoji, atMillis);
    }

    private void react(String conversation, UUID targetAuthor, long targetTimestamp, UUID reactor, String emoji,
                       long atMillis) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("""
                    INSERT OR REPLACE INTO reactions (conversation, target_author, target_timestamp, reactor, emoji, reacted_at)
                    VALUES (?, ?, ?, ?, ?, ?)""")) {
                u.setString(1, conversation);
                u.setString(2, targetAuthor.toString());
                u.setLong(3, targetTimestamp);
                u.setString(4, reactor.toString());
                u.setString(5, emoji);
                u.setLong(6, atMillis);
                return u.executeUpdate();
            }
        });
    }

    /** Withdraws the reactor's reaction to a message, if any. */
    public void unreact(UUID conversation, UUID targetAuthor, long targetTimestamp, UUID reactor) {
        unreact(conversation.toString(), targetAuthor, targetTimestamp, reactor);
    }

    /** Withdraws the reactor's reaction to a message of a group's conversation. */
    public void unreactInGroup(byte[] groupId, UUID targetAuthor, long targetTimestamp, UUID reactor) {
        unreact(groupConversation(groupId), targetAuthor, targetTimestamp, reactor);
    }

    private void unreact(String conversation, UUID targetAuthor, long targetTimestamp, UUID reactor) {
        db.locked(() -> {
            try (PreparedStatement d = db.connection().prepareStatement("""
                    DELETE FROM reactions WHERE conversation = ? AND target_author = ? AND target_timestamp = ? AND reactor = ?""")) {
                d.setString(1, conversation);
                d.setString(2, targetAuthor.toString());
                d.setLong(3, targetTimestamp);
                d.setString(4, reactor.toString());
                return d.executeUpdate();
            }
        });
    }

    /** Stores the quote a received message carries. */
    public void setQuote(long inboxId, Quote quote) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement(
                    "UPDATE inbox SET quote_id = ?, quote_author = ?, quote_text = ? WHERE id = ?")) {
                u.setLong(1, quote.id());
                u.setString(2, quote.author().toString());
                u.setString(3, quote.text());
                u.setLong(4, inboxId);
                return u.executeUpdate();
            }
        });
    }

    // ---------------------------------------------------------------- signal rows in the inbox

    /** Stores a received signal to be shown once (then deleted, see {@link LocalMessages#markShown}). */
    public void insertSignal(UUID source, String claimedUsername, int sourceDevice, long timestamp,
                             long serverTimestamp, boolean untrusted, StoredSignal signal) {
        db.locked(() -> {
            try (PreparedStatement u = db.connection().prepareStatement("""
                    INSERT INTO inbox (source_account, source_username, source_device, timestamp, server_timestamp,
                                       untrusted, signal)
                    VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
                u.setString(1, source.toString());
                u.setString(2, claimedUsername);
                u.setInt(3, sourceDevice);
                u.setLong(4, timestamp);
                u.setLong(5, serverTimestamp);
                u.setInt(6, untrusted ? 1 : 0);
                u.setBytes(7, signal.toByteArray());
                return u.executeUpdate();
            }
        });
    }

    /** A stored signal as the API shows it. */
    static ReceivedSignal toApi(StoredSignal signal) {
        return switch (signal.getKindCase()) {
            case RECEIPT -> new ReceivedSignal.Receipt(receiptType(signal.getReceipt().getType()),
                    signal.getReceipt().getTimestampList());
            case TYPING -> new ReceivedSignal.Typing(signal.getTyping().getAction() == TypingMessage.Action.STARTED,
                    signal.getTyping().getTimestamp(),
                    GroupId.fromBytes(signal.getGroupId().toByteArray()).map(GroupId::toString));
            case REACTION -> new ReceivedSignal.Reaction(signal.getReaction().getEmoji(),
                    accountOrUnknown(signal.getReaction().getTargetAuthor().toByteArray()),
                    signal.getReaction().getTargetSentTimestamp(), signal.getReaction().getRemove(),
                    GroupId.fromBytes(signal.getGroupId().toByteArray()).map(GroupId::toString));
            case EDIT -> new ReceivedSignal.Edit(signal.getEdit().getTargetSentTimestamp(),
                    signal.getEdit().getDataMessage().getTimestamp(), signal.getEdit().getDataMessage().getBody(),
                    GroupId.fromBytes(signal.getGroupId().toByteArray()).map(GroupId::toString));
            case DELETE -> new ReceivedSignal.RemoteDelete(signal.getDelete().getTargetSentTimestamp(),
                    GroupId.fromBytes(signal.getGroupId().toByteArray()).map(GroupId::toString));
            case CALL -> new ReceivedSignal.Call(CallMessages.fromProto(signal.getCall()));
            case KIND_NOT_SET -> throw new LocalStoreException("a stored signal has no kind", null);
        };
    }

    public static ReceiptType receiptType(ReceiptMessage.Type type) {
        return switch (type) {
            case DELIVERY -> ReceiptType.DELIVERY;
            case READ -> ReceiptType.READ;
            case VIEWED -> ReceiptType.VIEWED;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown receipt type");
        };
    }

    /** A 16-byte account id, or the all-zero id when it is malformed. */
    public static UUID accountOrUnknown(byte[] bytes) {
        if (bytes.length != 16) {
            return new UUID(0, 0);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new UUID(buffer.getLong(), buffer.getLong());
    }

    // ---------------------------------------------------------------- expiry

    /**
     * Deletes sent messages whose disappearing timer ran out, with their receipts and files, and reactions to
     * messages that are gone on either side; returns how many sent messages were deleted.
     */
    public int deleteExpired(long nowMillis) {
        return db.inTransaction(() -> {
            try (PreparedStatement d = db.connection().prepareStatement("""
                    DELETE FROM receipts WHERE sent_id IN
                      (SELECT id FROM sent WHERE expires_at IS NOT NULL AND expires_at <= ?)""")) {
                d.setLong(1, nowMillis);
                d.executeUpdate();
            }
            try (PreparedStatement q = db.connection().prepareStatement(
                    "SELECT attachments FROM sent WHERE expires_at IS NOT NULL AND expires_at <= ? AND attachments IS NOT NULL")) {
                q.setLong(1, nowMillis);
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        deleteFiles(rows.getBytes(1));
                    }
                }
            }
            int deleted;
            try (PreparedStatement d = db.connection().prepareStatement(
                    "DELETE FROM sent WHERE expires_at IS NOT NULL AND expires_at <= ?")) {
                d.setLong(1, nowMillis);
                deleted = d.executeUpdate();
            }
            try (PreparedStatement d = db.connection().prepareStatement("""
                    DELETE FROM reactions WHERE
                      NOT EXISTS (SELECT 1 FROM sent s WHERE s.conversation = reactions.conversation
                                  AND s.timestamp = reactions.target_timestamp)
                      AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.source_account = reactions.target_author
                                  AND i.timestamp = reactions.target_timestamp AND i.signal IS NULL)""")) {
                d.executeUpdate();
            }
            return deleted;
        });
    }
}
