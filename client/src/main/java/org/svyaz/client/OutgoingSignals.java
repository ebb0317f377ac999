// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.SendResult;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.content.Delete;
import org.svyaz.protocol.content.EditMessage;
import org.svyaz.protocol.content.Quote;
import org.svyaz.protocol.content.Reaction;
import org.svyaz.protocol.content.ReceiptMessage;
import org.svyaz.protocol.content.TypingMessage;
import org.svyaz.client.api.CallStep;

/**
 * Builds and sends the signals about a conversation (receipts, typing, reactions, edits, deletes)
 * and the quote of a reply, and keeps the local store in step with what this device sent.
 * Input is checked here, before anything leaves the device; what a contact's device does with a
 * signal is {@link IncomingSignals}' business on their side.
 */
final class OutgoingSignals {
    private static final Logger log = LoggerFactory.getLogger(OutgoingSignals.class);

    /** Encrypts content for a contact and sends it (MessageSender's sealed-then-identified send). */
    @FunctionalInterface
    interface Sender {
        SendResult send(String recipient, UUID destination, Content.Builder content, long timestamp)
                throws ClientException;
    }

    /** Sends a data message to a group's members (GroupMessaging's sender-key fan-out). */
    @FunctionalInterface
    interface GroupSender {
        SendResult send(GroupId group, DataMessage.Builder data) throws ClientException;
    }

    /** Sends an edit of this account's group message (GroupMessaging's sender-key fan-out). */
    @FunctionalInterface
    interface GroupEditSender {
        SendResult send(GroupId group, long targetTimestamp, DataMessage.Builder data) throws ClientException;
    }

    /** Finds the account behind a username. */
    @FunctionalInterface
    interface Resolver {
        UUID resolve(String username) throws ClientException;
    }

    private final LocalSignals signals;
    private final LocalMessages messages;
    private final Clock clock;
    private final UUID self;
    private final Resolver resolver;
    private final Sender sender;
    private final GroupSender groupSender;
    private final GroupEditSender groupEditSender;
    private final Runnable eraseFromWal;

    OutgoingSignals(LocalSignals signals, LocalMessages messages, Clock clock, UUID self, Resolver resolver,
                    Sender sender, GroupSender groupSender, GroupEditSender groupEditSender, Runnable eraseFromWal) {
        this.groupSender = groupSender;
        this.groupEditSender = groupEditSender;
        this.signals = signals;
        this.messages = messages;
        this.clock = clock;
        this.self = self;
        this.resolver = resolver;
        this.sender = sender;
        this.eraseFromWal = eraseFromWal;
    }

    private UUID contact(String recipient) throws ClientException {
        UUID destination = resolver.resolve(recipient);
        if (destination.equals(self)) {
            throw new UserInputException("Sending to yourself (Note to Self) is not supported yet.");
        }
        return destination;
    }

    /**
     * The quote for a reply to the conversation's message at {@code target.timestamp()}: by the
     * named author, else the message this device sent or received at that time. The quoted text
     * is taken from the local store.
     */
    Quote quote(String recipient, UUID destination, QuoteTarget target) throws ClientException {
        UUID author;
        Optional<LocalSignals.Target> found;
        if (target.author().isPresent()) {
            author = resolver.resolve(target.author().get());
            found = signals.find(destination, self, author, target.timestamp());
            if (!author.equals(self) && !author.equals(destination)) {
                throw new UserInputException("Only a message of this conversation can be quoted: "
                        + target.author().get() + " is neither you nor " + recipient + ".");
            }
        } else {
            found = signals.find(destination, self, self, target.timestamp());
            author = self;
            if (found.isEmpty()) {
                found = signals.find(destination, self, destination, target.timestamp());
                author = destination;
            }
            if (found.isEmpty()) {
                throw new UserInputException("No message of the conversation with " + recipient + " was sent at "
                        + target.timestamp() + "; name its author with --quote-author to quote it anyway.");
            }
        }
        return Quote.newBuilder()
                .setId(target.timestamp())
                .setAuthor(Uuids.toByteString(author))
                .setText(found.flatMap(LocalSignals.Target::body).orElse(""))
                .build();
    }

    /**
     * The quote for a reply in a group to the message {@code target.author()} sent at
     * {@code target.timestamp()}, or this account's own when no author is named. Unlike in a
     * one-to-one conversation, the message must be in the group's conversation here: any member
     * may have written it, so the timestamp alone does not say whose it is.
     */
    Quote quoteInGroup(GroupId group, QuoteTarget target) throws ClientException {
        checkTimestamp(target.timestamp());
        UUID author = target.author().isPresent() ? resolver.resolve(target.author().get()) : self;
        Optional<LocalSignals.Target> found = signals.findInGroup(group.bytes(), self, author, target.timestamp());
        if (found.isEmpty() || found.get().remoteDeleted()) {
            throw new UserInputException("No message of this group " + target.author().map(name -> "from " + name)
                    .orElse("of yours") + " was sent at " + target.timestamp()
                    + (target.author().isPresent() ? "" : "; name its author with --quote-author")
                    + ". listMessages shows the group's messages.");
        }
        return Quote.newBuilder()
                .setId(target.timestamp())
                .setAuthor(Uuids.toByteString(author))
                .setText(found.get().body().orElse(""))
                .build();
    }

    /**
     * Keeps a copy of a sent message with text or files, for receipts, reactions, edits and deletes,
     * with {@code files}, the copies of its files kept here.
     */
    void recordSent(UUID destination, DataMessage data, List<ReceivedAttachment> files) {
        if (!data.getBody().isEmpty() || data.getAttachmentsCount() > 0) {
            signals.recordSent(destination, data.getTimestamp(), data.getBody().isEmpty() ? null : data.getBody(),
                    files, quoteOf(data), data.getExpireTimer(), clock.millis());
        }
    }

    /** The quote a data message carries, as the local store keeps it. */
    static Optional<org.svyaz.client.api.Quote> quoteOf(DataMessage data) {
        return data.hasQuote()
                ? Optional.of(new org.svyaz.client.api.Quote(data.getQuote().getId(),
                        LocalSignals.accountOrUnknown(data.getQuote().getAuthor().toByteArray()), data.getQuote().getText()))
                : Optional.empty();
    }

    /** Sends a new text for a message sent earlier; the local copy changes too. */
    SendResult edit(String recipient, long targetTimestamp, String text) throws ClientException {
        if (text == null || text.isBlank()) {
            throw new UserInputException("An edit needs the new text (-m).");
        }
        checkTimestamp(targetTimestamp);
        UUID destination = contact(recipient);
        long timestamp = clock.millis();
        DataMessage data = DataMessage.newBuilder()
                .setBody(text)
                .setTimestamp(timestamp)
                .setExpireTimer(messages.expireSeconds(destination))
                .build();
        SendResult result = sender.send(recipient, destination, Content.newBuilder().setEditMessage(
                EditMessage.newBuilder().setTargetSentTimestamp(targetTimestamp).setDataMessage(data)), timestamp);
        Optional<LocalSignals.Target> own = signals.find(destination, self, self, targetTimestamp);
        if (own.isPresent() && !own.get().remoteDeleted()) {
            signals.edit(own.get(), text, timestamp);
            eraseFromWal.run();
        }
        return result;
    }

    /** Sends a new text for this account's message of a group's conversation; the local copy changes too. */
    SendResult editInGroup(GroupId group, long targetTimestamp, String text) throws ClientException {
        if (text == null || text.isBlank()) {
            throw new UserInputException("An edit needs the new text (-m).");
        }
        LocalSignals.Target own = ownInGroup(group, targetTimestamp);
        long timestamp = clock.millis();
        SendResult result = groupEditSender.send(group, targetTimestamp,
                DataMessage.newBuilder().setBody(text).setTimestamp(timestamp));
        signals.edit(own, text, timestamp);
        eraseFromWal.run();
        return result;
    }

    /** Deletes this account's message of a group's conversation for everyone: on every member's device and here. */
    SendResult remoteDeleteInGroup(GroupId group, long targetTimestamp) throws ClientException {
        LocalSignals.Target own = ownInGroup(group, targetTimestamp);
        SendResult result = groupSender.send(group, DataMessage.newBuilder()
                .setTimestamp(clock.millis())
                .setDelete(Delete.newBuilder().setTargetSentTimestamp(targetTimestamp)));
        signals.eraseInGroup(own, group.bytes(), self, targetTimestamp);
        eraseFromWal.run();
        return result;
    }

    /**
     * This account's message of the group sent at {@code targetTimestamp}, not deleted yet; checked
     * before sending, so an edit or delete that could change nothing anywhere is not sent.
     */
    private LocalSignals.Target ownInGroup(GroupId group, long targetTimestamp) throws UserInputException {
        checkTimestamp(targetTimestamp);
        Optional<LocalSignals.Target> own = signals.findInGroup(group.bytes(), self, self, targetTimestamp);
        if (own.isEmpty() || own.get().remoteDeleted()) {
            throw new UserInputException("You sent no message to this group at " + targetTimestamp
                    + " (that is not deleted); only your own messages can be edited or deleted.");
        }
        return own.get();
    }

    /**
     * Reacts to (or with {@code remove} withdraws the reaction to) a message of a group's
     * conversation, sent by a member or by this account.
     */
    SendResult reactInGroup(GroupId group, String emoji, String targetAuthor, long targetTimestamp, boolean remove)
            throws ClientException {
        checkReaction(emoji, targetTimestamp);
        UUID author = resolver.resolve(targetAuthor);
        Optional<LocalSignals.Target> target = signals.findInGroup(group.bytes(), self, author, targetTimestamp);
        if (target.isEmpty() || target.get().remoteDeleted()) {
            throw new UserInputException("No message of this group from " + targetAuthor + " was sent at "
                    + targetTimestamp + "; listMessages shows the group's messages.");
        }
        long timestamp = clock.millis();
        SendResult result = groupSender.send(group, DataMessage.newBuilder()
                .setTimestamp(timestamp)
                .setReaction(reaction(emoji, remove, author, targetTimestamp)));
        if (remove) {
            signals.unreactInGroup(group.bytes(), author, targetTimestamp, self);
        } else {
            signals.reactInGroup(group.bytes(), author, targetTimestamp, self, emoji, timestamp);
        }
        return result;
    }

    private static Reaction.Builder reaction(String emoji, boolean remove, UUID author, long targetTimestamp) {
        return Reaction.newBuilder()
                .setEmoji(emoji)
                .setRemove(remove)
                .setTargetAuthor(Uuids.toByteString(author))
                .setTargetSentTimestamp(targetTimestamp);
    }

    private static void checkReaction(String emoji, long targetTimestamp) throws UserInputException {
        if (!Emoji.isSingle(emoji)) {
            throw new UserInputException(emoji == null || emoji.isEmpty()
                    ? "A reaction needs an emoji (-e), like 👍."
                    : "'" + emoji + "' is not one emoji; a reaction is exactly one, like 👍.");
        }
        checkTimestamp(targetTimestamp);
    }

    /** Reacts to (or with {@code remove} withdraws the reaction to) a message of the conversation. */
    SendResult react(String recipient, String emoji, String targetAuthor, long targetTimestamp,
                                 boolean remove) throws ClientException {
        checkReaction(emoji, targetTimestamp);
        UUID destination = contact(recipient);
        UUID author = resolver.resolve(targetAuthor);
        if (!author.equals(self) && !author.equals(destination)) {
            throw new UserInputException("Only a message of this conversation can get a reaction: " + targetAuthor
                    + " is neither you nor " + recipient + ".");
        }
        long timestamp = clock.millis();
        DataMessage data = DataMessage.newBuilder()
                .setTimestamp(timestamp)
                .setReaction(reaction(emoji, remove, author, targetTimestamp))
                .build();
        SendResult result = sender.send(recipient, destination, Content.newBuilder().setDataMessage(data),
                timestamp);
        Optional<LocalSignals.Target> target = signals.find(destination, self, author, targetTimestamp);
        if (target.isPresent() && !target.get().remoteDeleted()) {
            if (remove) {
                signals.unreact(destination, author, targetTimestamp, self);
            } else {
                signals.react(destination, author, targetTimestamp, self, emoji, timestamp);
            }
        }
        return result;
    }

    /** Deletes a message this account sent, for everyone: on the contact's device and here. */
    SendResult remoteDelete(String recipient, long targetTimestamp) throws ClientException {
        checkTimestamp(targetTimestamp);
        UUID destination = contact(recipient);
        long timestamp = clock.millis();
        DataMessage data = DataMessage.newBuilder()
                .setTimestamp(timestamp)
                .setDelete(Delete.newBuilder().setTargetSentTimestamp(targetTimestamp))
                .build();
        SendResult result = sender.send(recipient, destination, Content.newBuilder().setDataMessage(data),
                timestamp);
        Optional<LocalSignals.Target> own = signals.find(destination, self, self, targetTimestamp);
        if (own.isPresent() && !own.get().remoteDeleted()) {
            signals.erase(own.get(), destination, self, targetTimestamp);
            eraseFromWal.run();
        }
        return result;
    }

    /** Tells a contact that messages they sent were read (or viewed, or delivered). */
    SendResult receipt(String recipient, ReceiptType type, List<Long> timestamps) throws ClientException {
        if (timestamps.isEmpty()) {
            throw new UserInputException("A receipt names at least one message timestamp (-t).");
        }
        UUID destination = contact(recipient);
        List<Long> unknown = new ArrayList<>();
        for (long timestamp : timestamps) {
            checkTimestamp(timestamp);
            if (signals.find(destination, self, destination, timestamp).isEmpty()) {
                unknown.add(timestamp);
            }
        }
        if (!unknown.isEmpty()) {
            throw new UserInputException("No message from " + recipient + " was sent at "
                    + String.join(", ", unknown.stream().map(String::valueOf).toList()) + ".");
        }
        return sender.send(recipient, destination, Content.newBuilder().setReceiptMessage(receiptMessage(type, timestamps)),
                clock.millis());
    }

    /**
     * Tells the authors of a group's messages among {@code timestamps} that this user read them:
     * one receipt to each author, one-to-one, as Signal does. Every author is tried; the first
     * failure is thrown after the others were sent.
     */
    List<SendResult> readInGroup(GroupId group, List<Long> timestamps) throws ClientException {
        List<SendResult> sent = new ArrayList<>();
        ClientException failed = null;
        for (Map.Entry<UUID, List<Long>> author : signals.authorsInGroup(group.bytes(), timestamps).entrySet()) {
            if (author.getKey().equals(self)) {
                continue;
            }
            String name = messages.contactUsername(author.getKey()).orElse(author.getKey().toString());
            try {
                sent.add(sender.send(name, author.getKey(), Content.newBuilder()
                        .setReceiptMessage(receiptMessage(ReceiptType.READ, author.getValue())), clock.millis()));
            } catch (ClientException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
        return sent;
    }

    /** Tells a contact that this user started or stopped typing. */
    SendResult typing(String recipient, boolean stop) throws ClientException {
        UUID destination = contact(recipient);
        long timestamp = clock.millis();
        return sender.send(recipient, destination, Content.newBuilder().setTypingMessage(TypingMessage.newBuilder()
                .setTimestamp(timestamp)
                .setAction(stop ? TypingMessage.Action.STOPPED : TypingMessage.Action.STARTED)), timestamp);
    }

    /** Sends one step of setting up a call to a contact (never stored: a call is now or not at all). */
    SendResult call(String recipient, CallStep step) throws ClientException {
        UUID destination = contact(recipient);
        return sender.send(recipient, destination, Content.newBuilder().setCallMessage(CallMessages.toProto(step)),
                clock.millis());
    }

    /**
     * Sends the delivery receipts owed for stored messages, one message per contact. Best effort:
     * when the network fails they stay owed for the next receive; receipts that can never be sent
     * (the contact's key changed and is not trusted, the account is gone) are dropped.
     */
    void sendOwed() {
        List<LocalSignals.Owed> owed;
        try {
            owed = signals.owed();
        } catch (LocalStoreException e) {
            log.warn("could not read the receipts owed; will retry on the next receive");
            return;
        }
        for (LocalSignals.Owed receipts : owed) {
            String name = messages.contactUsername(receipts.account()).orElse(receipts.account().toString());
            try {
                sender.send(name, receipts.account(), Content.newBuilder()
                        .setReceiptMessage(receiptMessage(receipts.type(), receipts.timestamps())), clock.millis());
                signals.forget(receipts);
            } catch (NetworkException | RateLimitedException | LocalFailureException e) {
                // The exception's sentence may name the contact: only its kind is logged.
                log.warn("could not send delivery receipts ({}); will retry on the next receive",
                        e.getClass().getSimpleName());
                return;
            } catch (ClientException e) {
                if (SendRetry.retryable(e)) {
                    // The server's storage is away for a moment: keep them for the next receive.
                    log.warn("could not send delivery receipts ({}); will retry on the next receive",
                            e.getClass().getSimpleName());
                    return;
                }
                log.warn("dropped delivery receipts that cannot be sent ({})", e.getClass().getSimpleName());
                signals.forget(receipts);
            }
        }
    }

    /** Work that may fail in the local database, which the API reports as a {@link LocalFailureException}. */
    @FunctionalInterface
    interface LocalWork<T> {
        T run() throws ClientException;
    }

    static <T> T guarded(LocalWork<T> work) throws ClientException {
        try {
            return work.run();
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    private static ReceiptMessage receiptMessage(ReceiptType type, List<Long> timestamps) {
        return ReceiptMessage.newBuilder()
                .setType(switch (type) {
                    case DELIVERY -> ReceiptMessage.Type.DELIVERY;
                    case READ -> ReceiptMessage.Type.READ;
                    case VIEWED -> ReceiptMessage.Type.VIEWED;
                })
                .addAllTimestamp(timestamps)
                .build();
    }

    private static void checkTimestamp(long timestamp) throws UserInputException {
        if (timestamp <= 0) {
            throw new UserInputException("A message timestamp is a positive number, as send printed it.");
        }
    }
}
