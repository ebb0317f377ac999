// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.AccountStaleDevices;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.MultiRecipientSendResponse;
import org.svyaz.protocol.wire.MultiRecipientStaleDevices;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SendResponse;
import org.svyaz.protocol.wire.StaleDevices;
import org.svyaz.protocol.wire.UnknownRecipients;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.RequestHandler;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.limits.RateLimiter;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/**
 * Accepts a send, stores one envelope per recipient device and wakes those devices. A send is
 * answered only after every envelope is durable.
 *
 * <p>Each stored envelope is marked as from a stranger or not, and strangers may fill only their
 * share of a mailbox ({@link MessageLimits#maxStrangerEntries}), so a flood cannot shut out the
 * people the recipient talks to. A send is from a contact only when it proves it: a sealed send
 * that presents the recipient's access key, which the recipient's profile key gives and the
 * recipient hands only to those it writes to. Everything else is from a stranger: an identified
 * send (clients send identified only when they hold no key), a sealed send that an account open
 * to everyone accepts without the key, a multi-recipient send without keys. An account's sends to
 * its own other devices are its own. The mark is one bit; the sender is not stored.
 */
public final class MessageService {
    /**
     * DRBG, not the platform default: NativePRNG reads /dev/urandom under a global lock on every
     * call, and a guid per stored message made it show in the relay benchmark's profile.
     */
    private static final SecureRandom RANDOM = drbg();
    private static final String MAILBOX_FULL_TO_ONE_OF_MANY =
            "A recipient's mailbox is full; try again after they have been online.";

    private final AccountStore accounts;
    private final MailboxStore mailbox;
    private final DeliveryRegistry connected;
    private final RateLimiter sendLimiter;
    private final RateLimiter sealedLimiter;
    private final SendLimiters limiters;
    private final MessageLimits limits;
    private final Clock clock;
    private final MessageMetrics metrics;

    public MessageService(AccountStore accounts, MailboxStore mailbox, DeliveryRegistry connected,
                          SendLimiters limiters, MessageLimits limits, Clock clock, MessageMetrics metrics) {
        this.accounts = accounts;
        this.mailbox = mailbox;
        this.connected = connected;
        this.sendLimiter = limiters.messages();
        this.sealedLimiter = limiters.sealed();
        this.limiters = limiters;
        this.limits = limits;
        this.clock = clock;
        this.metrics = metrics;
    }

    public SendResponse send(Caller caller, SendRequest request) throws ApiException {
        if (!sendLimiter.tryAcquire(caller.accountId())) {
            throw new ApiException(ErrorCode.RATE_LIMITED, "Too many messages; wait "
                    + sendLimiter.secondsUntilNextToken() + " s and try again.");
        }
        UUID destination = RequestHandler.accountId(request.getDestination());
        Map<Integer, OutgoingMessage> byDevice = validate(request.getMessagesList(),
                Set.of(EnvelopeType.CIPHERTEXT, EnvelopeType.PREKEY_MESSAGE));
        try {
            List<Device> devices = accounts.findDevices(destination);
            if (devices.isEmpty()) {
                // Unknown recipient. Usernames resolve to ids only for authenticated callers, so
                // saying so leaks nothing the lookup does not.
                throw new ApiException(ErrorCode.NOT_FOUND, "The recipient does not exist.");
            }
            checkDevices(devices, byDevice);
            // Identified: the sender had no access key to the recipient, unless it writes to itself.
            boolean fromStranger = !destination.equals(caller.accountId());
            charge(Optional.of(caller.accountId()), Map.of(destination, contentBytes(byDevice)),
                    fromStranger ? Set.of(destination) : Set.of());
            store(destination, devices, byDevice, request.getTimestamp(), Optional.of(caller), fromStranger);
            metrics.singleSent(false);
            return SendResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * A sealed send arrives on an unauthenticated connection: the only proof the sender may write
     * to the destination is its access key (which only the destination's contacts can derive), or
     * the destination's choice to accept sealed messages from anyone. The stored envelope names no
     * sender.
     *
     * <p>The rate limit is kept per (connection, recipient). Keyed by recipient alone, any one
     * contact could use up the recipient's budget and block every other contact's sealed messages.
     * An access key does not tell contacts apart (all of them derive the same one from the
     * recipient's profile key), and a source address would be shared by everyone behind one relay
     * and would keep a record of which address writes to whom, for messages meant to name no
     * sender. A connection id is random and tied to nothing; a sender that reconnects for a fresh
     * budget is held back by the mailbox cap and the connection limits instead.
     */
    public SendResponse sendSealed(UUID connectionId, SealedSendRequest request) throws ApiException {
        UUID destination = RequestHandler.accountId(request.getDestination());
        Map<Integer, OutgoingMessage> byDevice = validate(request.getMessagesList(), Set.of(EnvelopeType.UNIDENTIFIED_SENDER));
        try {
            // Unknown account and wrong key answer alike, so the endpoint cannot probe for accounts.
            Optional<SealedSenderAccess> access = accounts.findSealedSenderAccess(destination);
            if (access.isEmpty() || !access.get().permits(request.getAccessKey().toByteArray())) {
                throw new ApiException(ErrorCode.UNAUTHORIZED,
                        "The access key does not let you send sealed messages to this recipient.");
            }
            if (!sealedLimiter.tryAcquire(RateLimiter.pairKey(connectionId, destination))) {
                throw new ApiException(ErrorCode.RATE_LIMITED, "Too many sealed messages to this recipient; wait "
                        + sealedLimiter.secondsUntilNextToken() + " s and try again.");
            }
            List<Device> devices = accounts.findDevices(destination);
            checkDevices(devices, byDevice);
            // An account open to everyone lets a sealed send in without the key: that is a stranger's.
            boolean fromStranger = !access.get().keyMatches(request.getAccessKey().toByteArray());
            charge(Optional.empty(), Map.of(destination, contentBytes(byDevice)),
                    fromStranger ? Set.of(destination) : Set.of());
            store(destination, devices, byDevice, request.getTimestamp(), Optional.empty(), fromStranger);
            metrics.singleSent(true);
            return SendResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * One sealed-sender v2 payload for many accounts, from an authenticated device. The request
     * costs one message token, and then one recipient token per account it reaches and one per
     * (sender, recipient) pair, as a single send to each would; the envelopes still name no sender (the content is
     * sealed), so storage does not tie the group's members to the sender.
     */
    public MultiRecipientSendResponse sendMultiRecipient(Caller caller, MultiRecipientSendRequest request)
            throws ApiException {
        if (!sendLimiter.tryAcquire(caller.accountId())) {
            throw new ApiException(ErrorCode.RATE_LIMITED, "Too many messages; wait "
                    + sendLimiter.secondsUntilNextToken() + " s and try again.");
        }
        MultiRecipientPayload payload = parseMultiRecipient(request);
        try {
            Map<UUID, List<Device>> devicesByAccount = accounts.findDevices(accountIds(payload));
            List<UUID> unknown = new ArrayList<>();
            for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
                if (devicesByAccount.get(recipient.accountId()).isEmpty()) {
                    unknown.add(recipient.accountId());
                }
            }
            if (!unknown.isEmpty()) {
                // The caller is authenticated, and usernames resolve to ids for it anyway: naming the
                // gone accounts lets it drop them from the group and send again.
                UnknownRecipients.Builder body = UnknownRecipients.newBuilder();
                unknown.forEach(id -> body.addAccountIds(Uuids.toByteString(id)));
                throw new ApiException(ErrorCode.NOT_FOUND, "Some recipients do not exist.", body.build());
            }
            // No access keys: from a stranger to everyone but the sender's own account.
            fanOut(payload, devicesByAccount, request.getTimestamp(), Optional.of(caller.accountId()),
                    Set.of(caller.accountId()));
            metrics.multiRecipientSent(false);
            return MultiRecipientSendResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * One sealed-sender v2 payload for many accounts, on an unauthenticated connection. The proof is
     * the combined access key: the XOR of every named account's access key as stored here (an
     * account open to everyone that never set a key counts as 16 zero bytes; excluded recipients
     * count too). The sealed rate limit applies per (connection, recipient) as for a single sealed send.
     */
    public MultiRecipientSendResponse sendMultiRecipientSealed(UUID connectionId, MultiRecipientSendRequest request)
            throws ApiException {
        MultiRecipientPayload payload = parseMultiRecipient(request);
        try {
            // Unknown accounts and a wrong key answer alike, so the endpoint cannot probe for accounts;
            // the device lists (which a STALE_DEVICES answer reveals) are only read after the key checks out.
            Optional<Set<UUID>> keyed = keyedRecipients(payload, request.getCombinedAccessKey().toByteArray());
            if (keyed.isEmpty()) {
                throw new ApiException(ErrorCode.UNAUTHORIZED,
                        "The combined access key does not let you send sealed messages to these recipients.");
            }
            Map<UUID, List<Device>> devicesByAccount = accounts.findDevices(accountIds(payload));
            for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
                if (!recipient.excluded() && !sealedLimiter.tryAcquire(RateLimiter.pairKey(connectionId, recipient.accountId()))) {
                    throw new ApiException(ErrorCode.RATE_LIMITED, "Too many sealed messages to a recipient; wait "
                            + sealedLimiter.secondsUntilNextToken() + " s and try again.");
                }
            }
            fanOut(payload, devicesByAccount, request.getTimestamp(), Optional.empty(), keyed.get());
            metrics.multiRecipientSent(true);
            return MultiRecipientSendResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    private static List<UUID> accountIds(MultiRecipientPayload payload) {
        return payload.recipients().stream().map(MultiRecipientPayload.Recipient::accountId).toList();
    }

    /** Size checks first (cheap, and before anything is looked up), then the payload's structure. */
    private MultiRecipientPayload parseMultiRecipient(MultiRecipientSendRequest request) throws ApiException {
        MultiRecipientPayload payload = MultiRecipientPayload.parse(request.getPayload(), limits.maxMultiRecipients());
        if (payload.sharedBytes().size() > limits.maxMessageBytes()) {
            throw new ApiException(ErrorCode.TOO_LARGE, "A message may be at most " + limits.maxMessageBytes()
                    + " bytes; send large content as an attachment.");
        }
        if ((long) payload.receivedMessageBytes() * payload.deviceCount() > limits.maxFanOutBytes()) {
            throw new ApiException(ErrorCode.TOO_LARGE, "This message is too large for this many recipient devices; "
                    + "send large content as an attachment.");
        }
        return payload;
    }

    /**
     * Whether the combined key opens every recipient, and if so which recipients' own keys went
     * into it: the sender proved it holds those (each account appears once in a payload, so no
     * key cancels out), and its messages to them are from a contact. An account open to everyone
     * that never set a key adds nothing, so messages to it are from a stranger. Reads every
     * recipient's access (no early exit), then compares the XOR in constant time.
     */
    private Optional<Set<UUID>> keyedRecipients(MultiRecipientPayload payload, byte[] presented) throws StoreException {
        byte[] combined = new byte[SealedSenderAccess.ACCESS_KEY_BYTES];
        boolean everyAccountAdmits = true;
        Set<UUID> keyed = new HashSet<>();
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            Optional<SealedSenderAccess> access = accounts.findSealedSenderAccess(recipient.accountId());
            if (access.isEmpty()) {
                everyAccountAdmits = false;
                continue;
            }
            if (access.get().hasKey()) {
                byte[] key = access.get().accessKey();
                for (int i = 0; i < combined.length; i++) {
                    combined[i] ^= key[i];
                }
                keyed.add(recipient.accountId());
            } else if (!access.get().unrestricted()) {
                // Never set and not open to everyone: no key opens it (a zero contribution would).
                everyAccountAdmits = false;
            }
        }
        boolean permits = presented.length == SealedSenderAccess.ACCESS_KEY_BYTES
                && MessageDigest.isEqual(combined, presented) && everyAccountAdmits;
        return permits ? Optional.of(keyed) : Optional.empty();
    }

    /**
     * The checks shared by both multi-recipient paths, then one envelope per device stored in one
     * transaction. Nothing is stored unless every check passes for every recipient. Envelopes to
     * accounts outside {@code contacts} are stored as from a stranger.
     */
    private void fanOut(MultiRecipientPayload payload, Map<UUID, List<Device>> devicesByAccount, long timestamp,
                        Optional<UUID> sender, Set<UUID> contacts) throws ApiException, StoreException {
        MultiRecipientStaleDevices.Builder stale = MultiRecipientStaleDevices.newBuilder();
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            if (recipient.excluded()) {
                continue; // named for the access key only; nothing goes to it
            }
            Optional<StaleDevices> mismatch = compareDevices(devicesByAccount.get(recipient.accountId()),
                    recipient.devices());
            mismatch.ifPresent(devices -> stale.addAccounts(AccountStaleDevices.newBuilder()
                    .setAccountId(Uuids.toByteString(recipient.accountId()))
                    .setDevices(devices)));
        }
        if (stale.getAccountsCount() > 0) {
            throw new ApiException(ErrorCode.STALE_DEVICES,
                    "Some recipients' devices have changed; update their device lists and send again.", stale.build());
        }
        Map<UUID, List<Integer>> deviceIds = new HashMap<>();
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            List<Integer> ids = deviceIds.computeIfAbsent(recipient.accountId(), account -> new ArrayList<>());
            recipient.devices().forEach(device -> ids.add(device.id()));
        }
        // A cheap early refusal; the insert below checks again, atomically.
        if (mailbox.largestCount(deviceIds) >= limits.maxMailboxEntries()) {
            throw new ApiException(ErrorCode.RATE_LIMITED, MAILBOX_FULL_TO_ONE_OF_MANY);
        }
        Map<UUID, Long> bytesByRecipient = new HashMap<>();
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            if (!recipient.excluded()) {
                bytesByRecipient.merge(recipient.accountId(),
                        (long) payload.receivedMessageBytes() * recipient.devices().size(), Long::sum);
            }
        }
        Set<UUID> strangersTo = new HashSet<>(bytesByRecipient.keySet());
        strangersTo.removeAll(contacts);
        charge(sender, bytesByRecipient, strangersTo);

        long now = clock.millis();
        List<MailboxEntry> entries = new ArrayList<>(payload.deviceCount());
        List<DeviceAddress> woken = new ArrayList<>(payload.deviceCount());
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            if (recipient.excluded()) {
                continue;
            }
            ByteString content = payload.receivedMessage(recipient);
            boolean fromStranger = !contacts.contains(recipient.accountId());
            for (MultiRecipientPayload.Device device : recipient.devices()) {
                byte[] guid = newGuid();
                Envelope envelope = Envelope.newBuilder()
                        .setGuid(ByteString.copyFrom(guid))
                        .setType(EnvelopeType.UNIDENTIFIED_SENDER)
                        .setTimestamp(timestamp)
                        .setServerTimestamp(now)
                        .setContent(content)
                        .build();
                entries.add(new MailboxEntry(0, recipient.accountId(), device.id(), guid, envelope.toByteArray(), now,
                        fromStranger));
                woken.add(new DeviceAddress(recipient.accountId(), device.id()));
            }
        }
        // A stranger whose share is full hears only that the mailbox is full, as anyone would.
        if (!mailbox.insert(entries, limits.maxMailboxEntries(), limits.maxStrangerEntries())) {
            throw new ApiException(ErrorCode.RATE_LIMITED, MAILBOX_FULL_TO_ONE_OF_MANY);
        }
        metrics.stored(entries.size());
        for (DeviceAddress device : woken) {
            connected.wake(device.accountId(), device.deviceId());
        }
    }

    /** Which of the account's devices the payload missed, named needlessly, or addressed with an old registration id. */
    private static Optional<StaleDevices> compareDevices(List<Device> devices, List<MultiRecipientPayload.Device> sent) {
        Map<Integer, Integer> sentRegistration = new HashMap<>();
        for (MultiRecipientPayload.Device device : sent) {
            sentRegistration.put(device.id(), device.registrationId());
        }
        Set<Integer> missing = new TreeSet<>();
        Set<Integer> stale = new TreeSet<>();
        Set<Integer> extra = new TreeSet<>(sentRegistration.keySet());
        for (Device device : devices) {
            extra.remove(device.id());
            Integer registrationId = sentRegistration.get(device.id());
            if (registrationId == null) {
                missing.add(device.id());
            } else if (registrationId != device.registrationId()) {
                stale.add(device.id());
            }
        }
        if (missing.isEmpty() && extra.isEmpty() && stale.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(StaleDevices.newBuilder().addAllMissing(missing).addAllExtra(extra).addAllStale(stale).build());
    }

    /** Names a recipient's byte budget for strangers, apart from the one for its contacts. */
    private static final UUID FROM_STRANGERS = UUID.nameUUIDFromBytes("svyaz inbound bytes from strangers".getBytes(
            java.nio.charset.StandardCharsets.US_ASCII));

    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom(); // every JDK since 9 has DRBG; this is only a guard
        }
    }

    private static byte[] newGuid() {
        byte[] guid = new byte[16];
        RANDOM.nextBytes(guid);
        return guid;
    }

    /**
     * The limits a send passes once it is known to be deliverable: for an identified sender, one
     * recipient token per recipient account and one message per (sender, recipient) pair; for
     * every send, sealed or not, the bytes it stores for each recipient. Each recipient has two
     * byte budgets, one for its contacts and one for strangers (those in {@code strangersTo}), so a
     * flood of strangers cannot spend what the recipient's contacts need. Tokens taken before a
     * refusal stay taken (buckets cannot be peeked at); that only slows a sender already at its limit.
     */
    private void charge(Optional<UUID> sender, Map<UUID, Long> bytesByRecipient, Set<UUID> strangersTo)
            throws ApiException {
        if (sender.isPresent()) {
            if (!limiters.recipients().tryAcquire(sender.get(), bytesByRecipient.size())) {
                throw new ApiException(ErrorCode.RATE_LIMITED, "Too many recipients at once; wait "
                        + limiters.recipients().secondsUntilNextToken() + " s and try again.");
            }
            for (UUID recipient : bytesByRecipient.keySet()) {
                if (!limiters.pairs().tryAcquire(RateLimiter.pairKey(sender.get(), recipient))) {
                    throw new ApiException(ErrorCode.RATE_LIMITED, bytesByRecipient.size() == 1
                            ? "Too many messages to this recipient; wait " + limiters.pairs().secondsUntilNextToken()
                                    + " s and try again."
                            : "Too many messages to one of these recipients; wait "
                                    + limiters.pairs().secondsUntilNextToken() + " s and try again.");
                }
            }
        }
        for (Map.Entry<UUID, Long> recipient : bytesByRecipient.entrySet()) {
            UUID budget = strangersTo.contains(recipient.getKey())
                    ? RateLimiter.pairKey(recipient.getKey(), FROM_STRANGERS) : recipient.getKey();
            if (!limiters.inboundBytes().tryAcquire(budget, RateLimit.permitsForBytes(recipient.getValue()))) {
                throw new ApiException(ErrorCode.RATE_LIMITED, bytesByRecipient.size() == 1
                        ? "The recipient has been sent too much in the last hour; try again later."
                        : "A recipient has been sent too much in the last hour; try again later.");
            }
        }
    }

    private static long contentBytes(Map<Integer, OutgoingMessage> byDevice) {
        long bytes = 0;
        for (OutgoingMessage message : byDevice.values()) {
            bytes += message.getContent().size();
        }
        return bytes;
    }

    private void store(UUID destination, List<Device> devices, Map<Integer, OutgoingMessage> byDevice, long timestamp,
                       Optional<Caller> source, boolean fromStranger) throws ApiException, StoreException {
        long now = clock.millis();
        List<MailboxEntry> entries = new ArrayList<>(devices.size());
        for (Device device : devices) {
            OutgoingMessage message = byDevice.get(device.id());
            byte[] guid = newGuid();
            Envelope.Builder envelope = Envelope.newBuilder()
                    .setGuid(ByteString.copyFrom(guid))
                    .setType(message.getType())
                    .setTimestamp(timestamp)
                    .setServerTimestamp(now)
                    .setContent(message.getContent());
            source.ifPresent(caller -> envelope.setSourceAccount(Uuids.toByteString(caller.accountId()))
                    .setSourceDevice(caller.deviceId()));
            entries.add(new MailboxEntry(0, destination, device.id(), guid, envelope.build().toByteArray(), now,
                    fromStranger));
        }
        // The caps are checked in the insert's transaction: concurrent sends cannot pass them together.
        // A stranger whose share is full hears only that the mailbox is full, as anyone would: no more.
        if (!mailbox.insert(entries, limits.maxMailboxEntries(), limits.maxStrangerEntries())) {
            throw new ApiException(ErrorCode.RATE_LIMITED,
                    "The recipient's mailbox is full; try again after they have been online.");
        }
        metrics.stored(entries.size());
        for (Device device : devices) {
            connected.wake(destination, device.id());
        }
    }

    private Map<Integer, OutgoingMessage> validate(List<OutgoingMessage> messages, Set<EnvelopeType> allowedTypes)
            throws ApiException {
        if (messages.isEmpty()) {
            throw ApiException.malformed("A send carries one message per recipient device.");
        }
        Map<Integer, OutgoingMessage> byDevice = new HashMap<>();
        for (OutgoingMessage message : messages) {
            if (message.getContent().size() > limits.maxMessageBytes()) {
                throw new ApiException(ErrorCode.TOO_LARGE, "A message may be at most " + limits.maxMessageBytes()
                        + " bytes; send large content as an attachment.");
            }
            if (message.getContent().isEmpty()) {
                throw ApiException.malformed("A message has no content.");
            }
            if (!allowedTypes.contains(message.getType())) {
                throw ApiException.malformed("This message type cannot be sent on this path.");
            }
            if (byDevice.put(message.getDeviceId(), message) != null) {
                throw ApiException.malformed("A device appears twice in one send.");
            }
        }
        return byDevice;
    }

    private static void checkDevices(List<Device> devices, Map<Integer, OutgoingMessage> byDevice) throws ApiException {
        Set<Integer> missing = new TreeSet<>();
        Set<Integer> stale = new TreeSet<>();
        Set<Integer> extra = new TreeSet<>(byDevice.keySet());
        for (Device device : devices) {
            extra.remove(device.id());
            OutgoingMessage message = byDevice.get(device.id());
            if (message == null) {
                missing.add(device.id());
            } else if (message.getRegistrationId() != device.registrationId()) {
                stale.add(device.id());
            }
        }
        if (!missing.isEmpty() || !extra.isEmpty() || !stale.isEmpty()) {
            throw new ApiException(ErrorCode.STALE_DEVICES,
                    "The recipient's devices have changed; update the device list and send again.",
                    StaleDevices.newBuilder().addAllMissing(missing).addAllExtra(extra).addAllStale(stale).build());
        }
    }
}
