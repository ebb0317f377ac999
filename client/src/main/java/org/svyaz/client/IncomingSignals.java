// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.CallStep;
import org.svyaz.client.store.LocalCalls;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.content.EditMessage;
import org.svyaz.protocol.content.GroupContext;
import org.svyaz.protocol.content.Reaction;
import org.svyaz.protocol.content.ReceiptMessage;
import org.svyaz.protocol.content.StoredSignal;

/**
 * Applies what a contact's client says about the conversation to the local store: receipts mark
 * sent messages, reactions are set or withdrawn, edits replace a text, deletes erase one. Each such
 * signal is also stored to be shown once by {@code receive}, with the reason when it changed nothing.
 *
 * <p>Runs inside the transaction that stores the decrypted envelope, so a signal is applied exactly
 * once, together with the session update and the envelope id.
 *
 * <p>Rules, as in Signal: only a message's author may edit or delete it; a reaction or edit names
 * a message of this conversation (the contact's, or the group's it names) by author and sent
 * timestamp, and one that names nothing here changes nothing. Signals from a contact whose new
 * safety number is not yet trusted change nothing either: whoever holds that key must not rewrite
 * what the trusted key said.
 */
final class IncomingSignals {
    private static final Logger log = LoggerFactory.getLogger(IncomingSignals.class);
    /** At most this many unknown timestamps are named in a receipt's not-applied sentence. */
    private static final int NAMED_TIMESTAMPS = 5;

    private final LocalSignals signals;
    private final LocalCalls calls;
    private final UUID self;
    /** Set when text was erased or replaced; the caller then empties the WAL (see {@link #takeErased}). */
    private volatile boolean erased;

    IncomingSignals(LocalSignals signals, LocalCalls calls, UUID self) {
        this.signals = signals;
        this.calls = calls;
        this.self = self;
    }

    /** A receipt, typing notice, edit, reaction, delete or call step: handled by {@link #apply}, not stored as a message. */
    static boolean isSignal(Content content) {
        return content.hasReceiptMessage() || content.hasTypingMessage() || content.hasEditMessage()
                || content.hasCallMessage()
                || content.getDataMessage().hasReaction() || content.getDataMessage().hasDelete();
    }

    /**
     * The group a signal is about: named in its data message, for an edit in the new message, for
     * typing by its group id; empty in a one-to-one conversation.
     */
    static Optional<GroupContext> group(Content content) {
        if (content.hasTypingMessage()) {
            return content.getTypingMessage().getGroupId().isEmpty() ? Optional.empty()
                    : Optional.of(GroupContext.newBuilder().setId(content.getTypingMessage().getGroupId()).build());
        }
        DataMessage data = content.hasEditMessage() ? content.getEditMessage().getDataMessage() : content.getDataMessage();
        return data.hasGroup() ? Optional.of(data.getGroup()) : Optional.empty();
    }

    /**
     * Applies a signal from {@code source} and stores it to be shown. A signal about a group's
     * message, or typing in a group, comes here only from a member of that group (the caller
     * checked, see {@link GroupInbox}).
     */
    void apply(UUID source, String claimedUsername, int sourceDevice, long timestamp, long serverTimestamp,
               boolean untrusted, Content content) {
        StoredSignal.Builder stored = StoredSignal.newBuilder();
        Optional<byte[]> groupId = group(content).map(context -> context.getId().toByteArray());
        group(content).ifPresent(context -> stored.setGroupId(context.getId()));
        Optional<String> notApplied;
        if (content.hasReceiptMessage()) {
            stored.setReceipt(content.getReceiptMessage());
            notApplied = untrusted ? Optional.of(UNTRUSTED) : receipt(source, content.getReceiptMessage(), serverTimestamp);
        } else if (content.hasTypingMessage()) {
            stored.setTyping(content.getTypingMessage());
            notApplied = Optional.empty();
        } else if (content.hasCallMessage()) {
            CallStep step;
            try {
                step = CallMessages.fromProto(content.getCallMessage());
            } catch (IllegalArgumentException e) {
                log.warn("dropped a call message: {}", e.getMessage());
                return;
            }
            calls.record(source, false, step, timestamp);
            // Shown even from a changed safety number: the app asks before it answers such a call.
            stored.setCall(content.getCallMessage());
            notApplied = Optional.empty();
        } else if (content.hasEditMessage()) {
            stored.setEdit(content.getEditMessage());
            notApplied = untrusted ? Optional.of(UNTRUSTED) : edit(source, content.getEditMessage(), timestamp, groupId);
        } else if (content.getDataMessage().hasReaction()) {
            stored.setReaction(content.getDataMessage().getReaction());
            notApplied = untrusted ? Optional.of(UNTRUSTED)
                    : reaction(source, content.getDataMessage().getReaction(), serverTimestamp, groupId);
        } else {
            stored.setDelete(content.getDataMessage().getDelete());
            notApplied = untrusted ? Optional.of(UNTRUSTED)
                    : delete(source, content.getDataMessage().getDelete().getTargetSentTimestamp(), groupId);
        }
        notApplied.ifPresent(stored::setNotApplied);
        if (notApplied.isPresent() && groupId.isPresent()) {
            // Any member may send one, so the log keeps a trace; the reason names timestamps at
            // most: no text, no sender, no group.
            log.info("a group {} changed nothing: {}", stored.getKindCase().name().toLowerCase(Locale.ROOT),
                    notApplied.get());
        }
        signals.insertSignal(source, claimedUsername, sourceDevice, timestamp, serverTimestamp, untrusted, stored.build());
    }

    private static final String UNTRUSTED =
            "Not applied: the sender's safety number changed and is not trusted yet.";

    /**
     * After a message was stored: keeps its quote and owes the sender a delivery receipt. Only for
     * a message with text or files from a trusted sender; timer notices, signals and messages that
     * could not be decrypted get none, so receipts never answer receipts.
     */
    void messageStored(long localId, UUID source, long timestamp, DataMessage data, boolean untrusted) {
        quoteStored(localId, data);
        boolean content = !data.getBody().isEmpty() || data.getAttachmentsCount() > 0;
        if (content && !data.getExpirationTimerUpdate() && !untrusted) {
            signals.owe(source, ReceiptType.DELIVERY, timestamp);
        }
    }

    /**
     * After a group message was stored: keeps its quote and, as Signal does, owes its author a
     * delivery receipt, one-to-one, by the same rules as {@link #messageStored}.
     */
    void groupMessageStored(long localId, UUID source, long timestamp, DataMessage data, boolean untrusted) {
        quoteStored(localId, data);
        boolean content = !data.getBody().isEmpty() || data.getAttachmentsCount() > 0;
        if (content && !untrusted) {
            signals.owe(source, ReceiptType.DELIVERY, timestamp);
        }
    }

    private void quoteStored(long localId, DataMessage data) {
        OutgoingSignals.quoteOf(data).ifPresent(quote -> signals.setQuote(localId, quote));
    }

    /** Whether text was erased or replaced since the last call; the WAL should then be emptied. */
    boolean takeErased() {
        boolean was = erased;
        erased = false;
        return was;
    }

    private Optional<String> receipt(UUID source, ReceiptMessage receipt, long serverTimestamp) {
        if (receipt.getType() == ReceiptMessage.Type.UNRECOGNIZED) {
            return Optional.of("Not applied: a receipt of a kind this version does not know.");
        }
        List<Long> unknown = signals.applyReceipt(source, LocalSignals.receiptType(receipt.getType()),
                receipt.getTimestampList(), serverTimestamp);
        if (unknown.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Not applied to " + unknown.size() + " timestamp(s) that name no message sent to this "
                + "contact: " + String.join(", ", unknown.stream().limit(NAMED_TIMESTAMPS).map(String::valueOf).toList())
                + (unknown.size() > NAMED_TIMESTAMPS ? ", ..." : "") + ".");
    }

    /**
     * A reaction to a message of the conversation with {@code source}, or with {@code groupId} of that
     * group's conversation (the caller checked that {@code source} is a member).
     */
    private Optional<String> reaction(UUID source, Reaction reaction, long serverTimestamp, Optional<byte[]> groupId) {
        if (!reaction.getRemove() && !Emoji.isSingle(reaction.getEmoji())) {
            return Optional.of("Not applied: a reaction must be exactly one emoji.");
        }
        UUID author = LocalSignals.accountOrUnknown(reaction.getTargetAuthor().toByteArray());
        long target = reaction.getTargetSentTimestamp();
        Optional<LocalSignals.Target> found = find(source, author, target, groupId);
        if (found.isEmpty()) {
            return Optional.of("Not applied: no message of this conversation was sent at " + target + " by that author.");
        }
        if (found.get().remoteDeleted()) {
            return Optional.of("Not applied: the message was deleted for everyone.");
        }
        if (groupId.isPresent() && reaction.getRemove()) {
            signals.unreactInGroup(groupId.get(), author, target, source);
        } else if (groupId.isPresent()) {
            signals.reactInGroup(groupId.get(), author, target, source, reaction.getEmoji(), serverTimestamp);
        } else if (reaction.getRemove()) {
            signals.unreact(source, author, target, source);
        } else {
            signals.react(source, author, target, source, reaction.getEmoji(), serverTimestamp);
        }
        return Optional.empty();
    }

    /** An edit of {@code source}'s own message, in the conversation with them or in {@code groupId}'s. */
    private Optional<String> edit(UUID source, EditMessage edit, long timestamp, Optional<byte[]> groupId) {
        long target = edit.getTargetSentTimestamp();
        Optional<String> problem = authorsOwn(source, target, groupId);
        if (problem.isPresent()) {
            return problem;
        }
        if (edit.getDataMessage().getBody().isEmpty()) {
            return Optional.of("Not applied: an edit without text.");
        }
        LocalSignals.Target found = find(source, source, target, groupId).orElseThrow();
        long editedAt = edit.getDataMessage().getTimestamp() != 0 ? edit.getDataMessage().getTimestamp() : timestamp;
        signals.edit(found, edit.getDataMessage().getBody(), editedAt);
        erased = true;
        return Optional.empty();
    }

    /** A delete for everyone of {@code source}'s own message, in the conversation with them or in {@code groupId}'s. */
    private Optional<String> delete(UUID source, long target, Optional<byte[]> groupId) {
        Optional<String> problem = authorsOwn(source, target, groupId);
        if (problem.isPresent()) {
            return problem;
        }
        LocalSignals.Target found = find(source, source, target, groupId).orElseThrow();
        if (groupId.isPresent()) {
            signals.eraseInGroup(found, groupId.get(), source, target);
        } else {
            signals.erase(found, source, source, target);
        }
        erased = true;
        return Optional.empty();
    }

    /** Why {@code source} may not change the message it sent at {@code target}; empty when it may. */
    private Optional<String> authorsOwn(UUID source, long target, Optional<byte[]> groupId) {
        Optional<LocalSignals.Target> own = find(source, source, target, groupId);
        if (own.isPresent()) {
            return own.get().remoteDeleted()
                    ? Optional.of("Not applied: the message was already deleted for everyone.")
                    : Optional.empty();
        }
        if (find(source, self, target, groupId).isPresent()) {
            return Optional.of("Not applied: only a message's author may change it, and this one was written here.");
        }
        return Optional.of("Not applied: no message from this " + (groupId.isPresent() ? "member" : "contact")
                + " was sent at " + target + (groupId.isPresent() ? " in this group." : "."));
    }

    /**
     * The message {@code author} sent at {@code timestamp}: in the conversation with {@code source},
     * or with {@code groupId} in that group's conversation.
     */
    private Optional<LocalSignals.Target> find(UUID source, UUID author, long timestamp, Optional<byte[]> groupId) {
        return groupId.isPresent()
                ? signals.findInGroup(groupId.get(), self, author, timestamp)
                : signals.find(source, self, author, timestamp);
    }
}
