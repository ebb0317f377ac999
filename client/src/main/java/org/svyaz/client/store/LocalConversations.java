// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.svyaz.client.api.ChatSummary;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.GroupReceiptState;
import org.svyaz.client.api.Quote;
import org.svyaz.client.groups.GroupRules;

/**
 * Conversations as the user sees them, read from what {@link LocalMessages} and {@link LocalSignals}
 * stored: every message received and sent with its edits, deletes, reactions, receipts and files;
 * a chat's summary for the chat list; and which received messages the user has read.
 */
public final class LocalConversations {
    private final AccountDatabase db;
    private final GroupStore groups;

    public LocalConversations(AccountDatabase db) {
        this.db = db;
        this.groups = new GroupStore(db);
    }

    /** Marks messages received from {@code contact} read by this user; returns how many were unread. */
    public int markRead(UUID contact, List<Long> timestamps, long atMillis) {
        return db.locked(() -> {
            int marked = 0;
            try (PreparedStatement u = db.connection().prepareStatement("""
                    UPDATE inbox SET read_at = ? WHERE source_account = ? AND timestamp = ? AND read_at IS NULL
                      AND group_id IS NULL""")) {
                for (long timestamp : timestamps) {
                    u.setLong(1, atMillis);
                    u.setString(2, contact.toString());
                    u.setLong(3, timestamp);
                    marked += u.executeUpdate();
                }
            }
            return marked;
        });
    }

    /** Marks messages received in a group read by this user; returns how many were unread. */
    public int markReadInGroup(byte[] groupId, List<Long> timestamps, long atMillis) {
        return db.locked(() -> {
            int marked = 0;
            try (PreparedStatement u = db.connection().prepareStatement(
                    "UPDATE inbox SET read_at = ? WHERE group_id = ? AND timestamp = ? AND read_at IS NULL")) {
                for (long timestamp : timestamps) {
                    u.setLong(1, atMillis);
                    u.setBytes(2, groupId);
                    u.setLong(3, timestamp);
                    marked += u.executeUpdate();
                }
            }
            return marked;
        });
    }

    /**
     * A group's messages as stored here, oldest first: received texts (not the group's own updates)
     * with their authors, quotes, edits and reactions, and what this device sent to it with its
     * receipts. As in Signal, a sent message is delivered once every member it was sent to who is
     * still in the group has it, and read once every one of them read it (the time is the last
     * one's); a member added later is not waited for, one who left no longer counts.
     */
    public List<ConversationMessage> groupConversation(byte[] groupId, UUID self) {
        return db.locked(() -> {
            Map<String, Map<UUID, String>> reactions = reactions(LocalSignals.groupConversation(groupId));
            List<ConversationMessage> result = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT source_account, timestamp, body, remote_deleted, quote_id, quote_author, quote_text, read_at,
                      attachments, edited_at
                    FROM inbox WHERE group_id = ? AND signal IS NULL AND error IS NULL AND group_update = 0
                    ORDER BY id""")) {
                q.setBytes(1, groupId);
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        rows.getLong(5);
                        Optional<Quote> quote = rows.wasNull() ? Optional.empty()
                                : Optional.of(new Quote(rows.getLong(5), UUID.fromString(rows.getString(6)),
                                        Optional.ofNullable(rows.getString(7)).orElse("")));
                        result.add(new ConversationMessage(UUID.fromString(rows.getString(1)), rows.getLong(2), false,
                                Optional.ofNullable(rows.getString(3)), nullableLong(rows, 10), rows.getInt(4) == 1,
                                quote, reactions.getOrDefault(rows.getString(1) + "/" + rows.getLong(2), Map.of()),
                                Optional.empty(), nullableLong(rows, 8), Optional.empty(),
                                LocalMessages.decode(rows.getBytes(9))));
                    }
                }
            }
            Map<Long, List<MemberReceipt>> receipts = groupReceipts(
                    "s.conversation = ?", LocalSignals.groupConversation(groupId), currentMembers(groupId));
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT timestamp, body, remote_deleted, attachments, edited_at, quote_id, quote_author, quote_text, id
                    FROM sent WHERE conversation = ? ORDER BY id""")) {
                q.setString(1, LocalSignals.groupConversation(groupId));
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        List<MemberReceipt> members = receipts.getOrDefault(rows.getLong(9), List.of());
                        result.add(new ConversationMessage(self, rows.getLong(1), true,
                                Optional.ofNullable(rows.getString(2)), nullableLong(rows, 5), rows.getInt(3) == 1,
                                quote(rows, 6), reactions.getOrDefault(self + "/" + rows.getLong(1), Map.of()),
                                byAll(members, MemberReceipt::deliveredAt), byAll(members, MemberReceipt::readAt),
                                byAll(members, MemberReceipt::viewedAt), LocalMessages.decode(rows.getBytes(4))));
                    }
                }
            }
            result.sort(Comparator.comparingLong(ConversationMessage::timestamp));
            return result;
        });
    }

    /** A group's conversation in brief, or empty when nothing was written in it. */
    public Optional<ChatSummary> groupSummary(byte[] groupId, UUID self) {
        List<ConversationMessage> all = groupConversation(groupId, self);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        ConversationMessage last = all.getLast();
        int unread = (int) all.stream().filter(m -> !m.outgoing() && m.readAt().isEmpty()).count();
        return Optional.of(new ChatSummary(last.timestamp(),
                last.remoteDeleted() ? Optional.empty() : last.body(), last.outgoing(), unread));
    }

    /** The conversation with {@code contact} in brief, or empty when no message was exchanged. */
    public Optional<ChatSummary> chatSummary(UUID contact) {
        return db.locked(() -> {
            long lastTimestamp = -1;
            Optional<String> lastBody = Optional.empty();
            boolean lastOutgoing = false;
            int unread = 0;
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT timestamp, CASE WHEN remote_deleted = 1 THEN NULL ELSE body END FROM inbox
                    WHERE source_account = ? AND signal IS NULL AND error IS NULL AND group_id IS NULL
                    ORDER BY timestamp DESC LIMIT 1""")) {
                q.setString(1, contact.toString());
                try (ResultSet rows = q.executeQuery()) {
                    if (rows.next()) {
                        lastTimestamp = rows.getLong(1);
                        lastBody = Optional.ofNullable(rows.getString(2));
                    }
                }
            }
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT timestamp, CASE WHEN remote_deleted = 1 THEN NULL ELSE body END FROM sent
                    WHERE conversation = ? ORDER BY timestamp DESC LIMIT 1""")) {
                q.setString(1, contact.toString());
                try (ResultSet rows = q.executeQuery()) {
                    if (rows.next() && rows.getLong(1) > lastTimestamp) {
                        lastTimestamp = rows.getLong(1);
                        lastBody = Optional.ofNullable(rows.getString(2));
                        lastOutgoing = true;
                    }
                }
            }
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT COUNT(*) FROM inbox WHERE source_account = ? AND read_at IS NULL AND signal IS NULL
                      AND error IS NULL AND group_id IS NULL""")) {
                q.setString(1, contact.toString());
                try (ResultSet rows = q.executeQuery()) {
                    rows.next();
                    unread = rows.getInt(1);
                }
            }
            return lastTimestamp < 0 ? Optional.<ChatSummary>empty()
                    : Optional.of(new ChatSummary(lastTimestamp, lastBody, lastOutgoing, unread));
        });
    }

    /** Every message of the conversation with {@code contact}, received and sent, oldest first. */
    public List<ConversationMessage> conversation(UUID contact, UUID self) {
        return db.locked(() -> {
            Map<String, Map<UUID, String>> reactions = reactions(contact.toString());
            List<ConversationMessage> result = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT timestamp, body, edited_at, remote_deleted, quote_id, quote_author, quote_text, read_at,
                      attachments
                    FROM inbox WHERE source_account = ? AND signal IS NULL AND error IS NULL AND group_id IS NULL
                    ORDER BY id""")) {
                q.setString(1, contact.toString());
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        long timestamp = rows.getLong(1);
                        rows.getLong(5);
                        Optional<Quote> quote = rows.wasNull() ? Optional.empty()
                                : Optional.of(new Quote(rows.getLong(5), UUID.fromString(rows.getString(6)),
                                        Optional.ofNullable(rows.getString(7)).orElse("")));
                        result.add(new ConversationMessage(contact, timestamp, false,
                                Optional.ofNullable(rows.getString(2)), nullableLong(rows, 3), rows.getInt(4) == 1,
                                quote, reactions.getOrDefault(contact + "/" + timestamp, Map.of()),
                                Optional.empty(), nullableLong(rows, 8), Optional.empty(),
                                LocalMessages.decode(rows.getBytes(9))));
                    }
                }
            }
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT s.timestamp, s.body, s.edited_at, s.remote_deleted, r.delivered_at, r.read_at, r.viewed_at,
                      s.attachments, s.quote_id, s.quote_author, s.quote_text
                    FROM sent s LEFT JOIN receipts r ON r.sent_id = s.id AND r.account = s.conversation
                    WHERE s.conversation = ? ORDER BY s.id""")) {
                q.setString(1, contact.toString());
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        long timestamp = rows.getLong(1);
                        result.add(new ConversationMessage(self, timestamp, true, Optional.ofNullable(rows.getString(2)),
                                nullableLong(rows, 3), rows.getInt(4) == 1, quote(rows, 9),
                                reactions.getOrDefault(self + "/" + timestamp, Map.of()),
                                nullableLong(rows, 5), nullableLong(rows, 6), nullableLong(rows, 7),
                                LocalMessages.decode(rows.getBytes(8))));
                    }
                }
            }
            result.sort(Comparator.comparingLong(ConversationMessage::timestamp));
            return result;
        });
    }

    /** A conversation's reactions by message ("author/timestamp"), each reactor's emoji; under the lock. */
    private Map<String, Map<UUID, String>> reactions(String conversation) throws SQLException {
        Map<String, Map<UUID, String>> reactions = new HashMap<>();
        try (PreparedStatement q = db.connection().prepareStatement(
                "SELECT target_author, target_timestamp, reactor, emoji FROM reactions WHERE conversation = ?")) {
            q.setString(1, conversation);
            try (ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    reactions.computeIfAbsent(rows.getString(1) + "/" + rows.getLong(2), k -> new HashMap<>())
                            .put(UUID.fromString(rows.getString(3)), rows.getString(4));
                }
            }
        }
        return reactions;
    }

    /**
     * This account's messages to groups among {@code timestamps}, each with its state for the whole
     * group as {@link #groupConversation} shows it: what a receipt from one member changed.
     */
    public List<GroupReceiptState> groupReceiptStates(List<Long> timestamps) {
        return db.locked(() -> {
            List<GroupReceiptState> states = new ArrayList<>();
            for (long timestamp : timestamps) {
                try (PreparedStatement q = db.connection().prepareStatement(
                        "SELECT id, conversation FROM sent WHERE timestamp = ? AND conversation LIKE 'group:%'")) {
                    q.setLong(1, timestamp);
                    try (ResultSet rows = q.executeQuery()) {
                        while (rows.next()) {
                            String groupId = rows.getString(2).substring("group:".length());
                            List<MemberReceipt> members = groupReceipts("s.id = ?", rows.getLong(1),
                                    currentMembers(Base64.getDecoder().decode(groupId)))
                                    .getOrDefault(rows.getLong(1), List.of());
                            states.add(new GroupReceiptState(groupId, timestamp, byAll(members, MemberReceipt::deliveredAt),
                                    byAll(members, MemberReceipt::readAt), byAll(members, MemberReceipt::viewedAt)));
                        }
                    }
                }
            }
            return states;
        });
    }

    /** One recipient's receipts for a group message. */
    private record MemberReceipt(Optional<Long> deliveredAt, Optional<Long> readAt, Optional<Long> viewedAt) {}

    /** The group's members now, by account id; none when the group is unknown. */
    private Set<String> currentMembers(byte[] groupId) {
        return groups.group(groupId)
                .map(group -> GroupRules.members(group.state()).keySet().stream().map(UUID::toString)
                        .collect(Collectors.toSet()))
                .orElse(Set.of());
    }

    /**
     * The receipts of sent group messages ({@code sent s} matching {@code condition} on {@code value})
     * from recipients in {@code members}, by sent message id; under the lock.
     */
    private Map<Long, List<MemberReceipt>> groupReceipts(String condition, Object value, Set<String> members)
            throws SQLException {
        Map<Long, List<MemberReceipt>> bySent = new HashMap<>();
        try (PreparedStatement q = db.connection().prepareStatement(
                "SELECT r.sent_id, r.account, r.delivered_at, r.read_at, r.viewed_at FROM receipts r "
                        + "JOIN sent s ON s.id = r.sent_id WHERE " + condition)) {
            q.setObject(1, value);
            try (ResultSet rows = q.executeQuery()) {
                while (rows.next()) {
                    if (members.contains(rows.getString(2))) {
                        bySent.computeIfAbsent(rows.getLong(1), k -> new ArrayList<>()).add(new MemberReceipt(
                                nullableLong(rows, 3), nullableLong(rows, 4), nullableLong(rows, 5)));
                    }
                }
            }
        }
        return bySent;
    }

    /** The last of the recipients' times when every one of them has one (Signal: "delivered to all"); else empty. */
    private static Optional<Long> byAll(List<MemberReceipt> receipts, Function<MemberReceipt, Optional<Long>> when) {
        if (receipts.isEmpty()) {
            return Optional.empty(); // sent to nobody who is still in the group: nobody to tell
        }
        long last = 0;
        for (MemberReceipt receipt : receipts) {
            Optional<Long> at = when.apply(receipt);
            if (at.isEmpty()) {
                return Optional.empty();
            }
            last = Math.max(last, at.get());
        }
        return Optional.of(last);
    }

    /** The quote stored from column {@code first} on (id, author, text), if the message is a reply. */
    private static Optional<Quote> quote(ResultSet rows, int first) throws SQLException {
        rows.getLong(first);
        return rows.wasNull() ? Optional.empty()
                : Optional.of(new Quote(rows.getLong(first), UUID.fromString(rows.getString(first + 1)),
                        Optional.ofNullable(rows.getString(first + 2)).orElse("")));
    }

    private static Optional<Long> nullableLong(ResultSet rows, int column) throws SQLException {
        long value = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(value);
    }
}
