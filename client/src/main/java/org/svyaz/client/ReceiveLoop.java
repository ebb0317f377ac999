// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyCountResponse;

/**
 * Shows what arrived: keeps the authenticated connection up (reconnecting with a jittered backoff
 * when a censor or the network cuts it), hands each stored message to the caller once and marks it
 * shown, sends the delivery receipts it owes, refills one-time prekeys and deletes disappearing
 * messages whose time is up.
 */
final class ReceiveLoop {
    private static final Logger log = LoggerFactory.getLogger(ReceiveLoop.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connections connections;
    private final PushReceiver receiver;
    private final ContactDirectory contacts;
    private final OutgoingSignals outgoing;
    private final AccountDatabase db;
    private final LocalMessages messages;
    private final LocalSignals signals;
    private final PreKeyGenerator preKeys;
    private final Clock clock;

    ReceiveLoop(Connections connections, PushReceiver receiver, ContactDirectory contacts, OutgoingSignals outgoing,
                AccountDatabase db, LocalMessages messages, LocalSignals signals, PreKeyGenerator preKeys, Clock clock) {
        this.connections = connections;
        this.receiver = receiver;
        this.contacts = contacts;
        this.outgoing = outgoing;
        this.db = db;
        this.messages = messages;
        this.signals = signals;
        this.preKeys = preKeys;
        this.clock = clock;
    }

    /**
     * Connects, fetches what waits on the server and hands every new message to {@code sink}, until
     * no message has arrived for {@code idle} or {@code maxMessages} were shown. While
     * {@code showNow} says no, arriving messages are stored (and acknowledged) but held back; they
     * are shown within a second of it saying yes.
     *
     * @return how many messages were shown
     */
    int receive(Duration idle, int maxMessages, BooleanSupplier showNow, Consumer<ReceivedMessage> sink)
            throws ClientException {
        try {
            deleteExpiredMessages();
            int shown = 0;
            boolean held = !showNow.getAsBoolean();
            if (!held) {
                shown += showPending(sink, maxMessages);
            }
            connections.connection();
            outgoing.sendOwed();
            long deadline = System.nanoTime() + idle.toNanos();
            Duration backoff = FIRST_BACKOFF;
            while (shown < maxMessages) {
                long left = deadline - System.nanoTime();
                if (left <= 0 && !receiver.downloading().isEmpty()) {
                    // A file still on its way is not idleness; a stalled transfer gives up on its own.
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    continue;
                }
                if (left <= 0) {
                    break;
                }
                if (!receiver.awaitArrival(Math.min(left, TimeUnit.SECONDS.toNanos(1)))) {
                    if (!connections.isOpen()) {
                        // The route died (a censor reset it, the network changed): race the routes
                        // again after a jittered, growing pause instead of giving up.
                        log.debug("the connection closed; reconnecting");
                        long pause = Math.min(jittered(backoff).toNanos(), Math.max(0, deadline - System.nanoTime()));
                        TimeUnit.NANOSECONDS.sleep(pause);
                        try {
                            connections.connection();
                            backoff = FIRST_BACKOFF;
                        } catch (NetworkException e) {
                            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
                                    : backoff.multipliedBy(2);
                            if (System.nanoTime() >= deadline) {
                                throw e;
                            }
                        }
                    } else if (held && showNow.getAsBoolean()) {
                        held = false;
                        shown += showPending(sink, maxMessages - shown);
                    }
                    continue;
                }
                int before = shown;
                held = !showNow.getAsBoolean();
                if (!held) {
                    shown += showPending(sink, maxMessages - shown);
                }
                outgoing.sendOwed(); // delivery receipts for what just arrived
                if (shown > before) {
                    deadline = System.nanoTime() + idle.toNanos();
                }
            }
            if (receiver.queueEmptied()) {
                refillPreKeys();
            }
            deleteExpiredMessages();
            return shown;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkException("Interrupted while receiving.", e);
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Between half and all of {@code backoff}, so many clients cut off at once do not return in step. */
    private static Duration jittered(Duration backoff) {
        long millis = backoff.toMillis();
        return Duration.ofMillis(millis / 2 + RANDOM.nextLong(millis / 2 + 1));
    }

    /**
     * Deletes disappearing messages, received and sent, whose time is up. Rows are overwritten
     * (secure_delete) and the WAL is emptied, so the text is gone from the files, not only hidden.
     */
    int deleteExpiredMessages() {
        int deleted = messages.deleteExpired(clock.millis()) + signals.deleteExpired(clock.millis());
        if (deleted > 0) {
            db.checkpoint();
        }
        return deleted;
    }

    private int showPending(Consumer<ReceivedMessage> sink, int limit) throws ClientException {
        int shown = 0;
        // A message whose files are still coming is shown after them, when its push is done.
        for (LocalMessages.Pending pending : messages.unshown(receiver.downloading())) {
            if (shown >= limit) {
                break;
            }
            ReceivedMessage message = pending.message();
            Optional<String> username = contacts.confirmedUsername(message.sourceAccount(), pending.claimedUsername());
            sink.accept(message.withSender(username, contacts.profileName(message.sourceAccount())));
            messages.markShown(message.localId(), clock.millis());
            shown++;
        }
        return shown;
    }

    /**
     * Uploads new one-time keys when the server runs low. Best effort: the messages are already
     * received, so a failure here is reported in the log and retried on the next receive.
     */
    private void refillPreKeys() throws ClientException {
        try {
            KeyCountResponse counts = Responses.parse(Responses.checkOk(connections.connection().call(
                    ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance(), Connections.REFILL_TIMEOUT)),
                    KeyCountResponse.parser());
            if (counts.getPreKeys() < PreKeyGenerator.REFILL_BELOW
                    || counts.getKyberPreKeys() < PreKeyGenerator.REFILL_BELOW) {
                Responses.checkOk(connections.connection().call(ApiPaths.KEYS_UPLOAD, preKeys.oneTimeKeys(),
                        Connections.REFILL_TIMEOUT));
            }
        } catch (ConnectionException | NetworkException | ServerRejectedException e) {
            // The server's storage may be away for a moment (a node or its database restarting).
            log.warn("could not refill one-time prekeys; will retry on the next receive: {}", e.getMessage());
        }
    }
}
