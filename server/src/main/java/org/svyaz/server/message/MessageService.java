// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SendResponse;
import org.svyaz.protocol.wire.StaleDevices;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.keys.KeyService;
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
 */
public final class MessageService {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccountStore accounts;
    private final MailboxStore mailbox;
    private final ConnectedDevices connected;
    private final RateLimiter sendLimiter;
    private final RateLimiter sealedLimiter;
    private final MessageLimits limits;
    private final Clock clock;
    private final Counter stored;

    public MessageService(AccountStore accounts, MailboxStore mailbox, ConnectedDevices connected,
                          RateLimiter sendLimiter, RateLimiter sealedLimiter, MessageLimits limits, Clock clock,
                          Counter stored) {
        this.accounts = accounts;
        this.mailbox = mailbox;
        this.connected = connected;
        this.sendLimiter = sendLimiter;
        this.sealedLimiter = sealedLimiter;
        this.limits = limits;
        this.clock = clock;
        this.stored = stored;
    }

    public SendResponse send(Caller caller, SendRequest request) throws ApiException {
        if (!sendLimiter.tryAcquire(caller.accountId())) {
            throw new ApiException(ErrorCode.RATE_LIMITED, "Too many messages; wait "
                    + sendLimiter.secondsUntilNextToken() + " s and try again.");
        }
        UUID destination = KeyService.accountIdOf(request.getDestination());
        Map<Integer, OutgoingMessage> byDevice = validate(request.getMessagesList(),
                Set.of(EnvelopeType.CIPHERTEXT, EnvelopeType.PREKEY_MESSAGE));
        try {
            List<Device> devices = accounts.findDevices(destination);
            if (devices.isEmpty()) {
                // Unknown recipient. Usernames resolve to ids only for authenticated callers, so
                // saying so leaks nothing the lookup does not.
                throw new ApiException(ErrorCode.NOT_FOUND, "The recipient does not exist.");
            }
            store(destination, devices, byDevice, request.getTimestamp(), Optional.of(caller));
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
     */
    public SendResponse sendSealed(SealedSendRequest request) throws ApiException {
        UUID destination = KeyService.accountIdOf(request.getDestination());
        Map<Integer, OutgoingMessage> byDevice = validate(request.getMessagesList(), Set.of(EnvelopeType.UNIDENTIFIED_SENDER));
        try {
            // Unknown account and wrong key answer alike, so the endpoint cannot probe for accounts.
            Optional<SealedSenderAccess> access = accounts.findSealedSenderAccess(destination);
            if (access.isEmpty() || !access.get().permits(request.getAccessKey().toByteArray())) {
                throw new ApiException(ErrorCode.UNAUTHORIZED,
                        "The access key does not let you send sealed messages to this recipient.");
            }
            if (!sealedLimiter.tryAcquire(destination)) {
                throw new ApiException(ErrorCode.RATE_LIMITED, "Too many sealed messages to this recipient; wait "
                        + sealedLimiter.secondsUntilNextToken() + " s and try again.");
            }
            store(destination, accounts.findDevices(destination), byDevice, request.getTimestamp(), Optional.empty());
            return SendResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    private void store(UUID destination, List<Device> devices, Map<Integer, OutgoingMessage> byDevice, long timestamp,
                       Optional<Caller> source) throws ApiException, StoreException {
        checkDevices(devices, byDevice);
        for (Device device : devices) {
            if (mailbox.count(destination, device.id()) >= limits.maxMailboxEntries()) {
                throw new ApiException(ErrorCode.RATE_LIMITED,
                        "The recipient's mailbox is full; try again after they have been online.");
            }
        }
        long now = clock.millis();
        List<MailboxEntry> entries = new ArrayList<>(devices.size());
        for (Device device : devices) {
            OutgoingMessage message = byDevice.get(device.id());
            byte[] guid = new byte[16];
            RANDOM.nextBytes(guid);
            Envelope.Builder envelope = Envelope.newBuilder()
                    .setGuid(ByteString.copyFrom(guid))
                    .setType(message.getType())
                    .setTimestamp(timestamp)
                    .setServerTimestamp(now)
                    .setContent(message.getContent());
            source.ifPresent(caller -> envelope.setSourceAccount(Uuids.toByteString(caller.accountId()))
                    .setSourceDevice(caller.deviceId()));
            entries.add(new MailboxEntry(0, destination, device.id(), guid, envelope.build().toByteArray(), now));
        }
        mailbox.insert(entries);
        stored.increment(entries.size());
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
