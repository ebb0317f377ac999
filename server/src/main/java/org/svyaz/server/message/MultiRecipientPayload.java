// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.svyaz.server.api.ApiException;

/**
 * A Sealed Sender v2 "SentMessage" as libsignal's {@code SealedSessionCipher.multiRecipientEncrypt}
 * writes it, parsed just far enough to fan it out: who the recipients are, which of their devices
 * (with registration ids) the sender encrypted for, each recipient's key material, and the bytes
 * every recipient shares. The server cannot decrypt any of it.
 *
 * <pre>
 * SentMessage  = version (0x22 | 0x23), count (protobuf varint), Recipient * count, e_pub (32), message (rest)
 * Recipient    = id (0x22: 16-byte UUID; 0x23: 17 bytes, type 0x00 = ACI then the UUID),
 *                ( 0x00                                      -- excluded: no devices, no key material
 *                | Device+ c (32) at (16) )
 * Device       = device id (1 byte, 1..127), u16 big-endian: 0x8000 = "another device follows",
 *                low 14 bits = registration id
 * </pre>
 *
 * One recipient's device receives {@code 0x22 || c || at || e_pub || message}
 * ({@link #receivedMessage}), which {@code SealedSessionCipher.decrypt} opens.
 *
 * <p>The parser never reads past the end and never allocates by a count it has not checked: any
 * malformed input is a {@code MALFORMED} {@link ApiException} with one sentence naming what is wrong.
 */
public final class MultiRecipientPayload {
    /** Recipients named by their bare 16-byte UUID (always an ACI). */
    public static final int VERSION_UUID = 0x22;
    /** Recipients named by a 17-byte fixed-width service id. */
    public static final int VERSION_SERVICE_ID = 0x23;
    /** What a recipient's device gets; its format has not changed since v2 was introduced. */
    public static final int RECEIVED_VERSION = 0x22;
    public static final int MAX_DEVICE_ID = 127;
    /** c (32 bytes) and at (16 bytes): what is different for each recipient. */
    public static final int KEY_MATERIAL_BYTES = 48;
    public static final int PUBLIC_KEY_BYTES = 32;
    /**
     * The most one recipient with one device adds to a payload: a 17-byte service id, a 3-byte
     * device entry and the key material. A frame must hold this many per recipient on top of the message.
     */
    public static final int BYTES_PER_SINGLE_DEVICE_RECIPIENT = 17 + 3 + KEY_MATERIAL_BYTES;

    private static final int SERVICE_ID_TYPE_ACI = 0x00;
    private static final int HAS_MORE_DEVICES = 0x8000;
    // Bit 14 is unused in the format; libsignal ignores it, and so do we.
    private static final int REGISTRATION_ID_MASK = 0x3FFF;

    /** One device the sender encrypted for, with the registration id it saw in its session. */
    public record Device(int id, int registrationId) {}

    /**
     * One recipient account. An excluded recipient (named so the combined access key covers it,
     * but not sent to) has no devices and empty key material.
     */
    public record Recipient(UUID accountId, List<Device> devices, ByteString keyMaterial) {
        public boolean excluded() {
            return devices.isEmpty();
        }
    }

    private final List<Recipient> recipients;
    private final ByteString sharedBytes;
    private final int deviceCount;

    private MultiRecipientPayload(List<Recipient> recipients, ByteString sharedBytes, int deviceCount) {
        this.recipients = recipients;
        this.sharedBytes = sharedBytes;
        this.deviceCount = deviceCount;
    }

    /**
     * Parses {@code payload}, refusing more than {@code maxRecipients} recipient entries (a recipient
     * named twice counts twice, so the work done is bounded before anything is looked up).
     */
    public static MultiRecipientPayload parse(ByteString payload, int maxRecipients) throws ApiException {
        Reader reader = new Reader(payload);
        if (payload.isEmpty()) {
            throw ApiException.malformed("The multi-recipient payload is empty.");
        }
        int version = reader.u8();
        if (version != VERSION_UUID && version != VERSION_SERVICE_ID) {
            throw ApiException.malformed("The multi-recipient payload has an unknown version.");
        }
        long count = reader.varint();
        if (count == 0) {
            throw ApiException.malformed("The multi-recipient payload names no recipients.");
        }
        if (count > maxRecipients) {
            throw ApiException.malformed("A multi-recipient send may name at most " + maxRecipients + " recipients.");
        }

        // Insertion order is the order of first appearance, so answers and stored order are deterministic.
        Map<UUID, RecipientBuilder> byAccount = new LinkedHashMap<>();
        int deviceCount = 0;
        for (long i = 0; i < count; i++) {
            UUID accountId = version == VERSION_UUID ? reader.uuid() : reader.aciServiceId();
            List<Device> devices = reader.devices();
            ByteString keyMaterial = devices.isEmpty() ? ByteString.EMPTY : reader.bytes(KEY_MATERIAL_BYTES);
            RecipientBuilder recipient = byAccount.get(accountId);
            if (recipient == null) {
                byAccount.put(accountId, new RecipientBuilder(accountId, devices, keyMaterial));
            } else {
                // libsignal may split one recipient's devices; an excluded recipient is never repeated.
                if (recipient.devices.isEmpty() || devices.isEmpty()) {
                    throw ApiException.malformed("A recipient appears twice and one of the entries has no devices.");
                }
                recipient.add(devices);
            }
            deviceCount += devices.size();
        }
        if (reader.remaining() < PUBLIC_KEY_BYTES) {
            throw ApiException.malformed("The multi-recipient payload is truncated before its shared part.");
        }
        if (deviceCount == 0) {
            throw ApiException.malformed("The multi-recipient payload names no recipient device.");
        }
        List<Recipient> recipients = new ArrayList<>(byAccount.size());
        for (RecipientBuilder builder : byAccount.values()) {
            recipients.add(builder.build());
        }
        return new MultiRecipientPayload(List.copyOf(recipients), reader.rest(), deviceCount);
    }

    /** Every recipient once, in order of first appearance, excluded ones included. */
    public List<Recipient> recipients() {
        return recipients;
    }

    /** e_pub and the message: the part every recipient receives. */
    public ByteString sharedBytes() {
        return sharedBytes;
    }

    /** How many devices the payload addresses, across all recipients. */
    public int deviceCount() {
        return deviceCount;
    }

    /** The size of each device's received message. */
    public int receivedMessageBytes() {
        return 1 + KEY_MATERIAL_BYTES + sharedBytes.size();
    }

    /**
     * What each of {@code recipient}'s devices receives. Built as a rope over the payload, so the
     * shared bytes are not copied once per recipient here.
     */
    public ByteString receivedMessage(Recipient recipient) {
        if (recipient.excluded()) {
            throw new IllegalArgumentException("an excluded recipient receives nothing");
        }
        return RECEIVED_VERSION_BYTE.concat(recipient.keyMaterial()).concat(sharedBytes);
    }

    private static final ByteString RECEIVED_VERSION_BYTE = ByteString.copyFrom(new byte[] {RECEIVED_VERSION});

    private static final class RecipientBuilder {
        final UUID accountId;
        final List<Device> devices;
        final ByteString keyMaterial;
        // Device ids are 1..127: two longs are a set of them.
        long seenLow;
        long seenHigh;

        RecipientBuilder(UUID accountId, List<Device> devices, ByteString keyMaterial) throws ApiException {
            this.accountId = accountId;
            this.devices = new ArrayList<>(devices.size());
            this.keyMaterial = keyMaterial;
            add(devices);
        }

        void add(List<Device> more) throws ApiException {
            for (Device device : more) {
                int id = device.id();
                boolean seen = id < 64 ? (seenLow & (1L << id)) != 0 : (seenHigh & (1L << (id - 64))) != 0;
                if (seen) {
                    throw ApiException.malformed("A recipient's device appears twice in the multi-recipient payload.");
                }
                if (id < 64) {
                    seenLow |= 1L << id;
                } else {
                    seenHigh |= 1L << (id - 64);
                }
                devices.add(device);
            }
        }

        Recipient build() {
            return new Recipient(accountId, List.copyOf(devices), keyMaterial);
        }
    }

    /** A cursor over the payload; every read checks the bounds first. */
    private static final class Reader {
        private static final String TRUNCATED = "The multi-recipient payload is truncated.";

        private final ByteString data;
        private int position;

        Reader(ByteString data) {
            this.data = data;
        }

        int remaining() {
            return data.size() - position;
        }

        private void require(int bytes) throws ApiException {
            if (remaining() < bytes) {
                throw ApiException.malformed(TRUNCATED);
            }
        }

        int u8() throws ApiException {
            require(1);
            return data.byteAt(position++) & 0xFF;
        }

        int u16() throws ApiException {
            require(2);
            int value = (data.byteAt(position) & 0xFF) << 8 | (data.byteAt(position + 1) & 0xFF);
            position += 2;
            return value;
        }

        /** A protobuf varint of at most 32 bits, as libsignal writes the recipient count. */
        long varint() throws ApiException {
            long value = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = u8();
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    if (value > 0xFFFF_FFFFL) {
                        break;
                    }
                    return value;
                }
            }
            throw ApiException.malformed("The recipient count of the multi-recipient payload is not a valid varint.");
        }

        UUID uuid() throws ApiException {
            require(16);
            long high = 0;
            long low = 0;
            for (int i = 0; i < 8; i++) {
                high = high << 8 | (data.byteAt(position + i) & 0xFF);
                low = low << 8 | (data.byteAt(position + 8 + i) & 0xFF);
            }
            position += 16;
            return new UUID(high, low);
        }

        UUID aciServiceId() throws ApiException {
            require(17);
            if (u8() != SERVICE_ID_TYPE_ACI) {
                // Accounts here have one identity (an ACI); phone-number identities do not exist.
                throw ApiException.malformed("A multi-recipient payload may only name ACI recipients.");
            }
            return uuid();
        }

        /** The device list of one recipient; empty for an excluded recipient. */
        List<Device> devices() throws ApiException {
            List<Device> devices = new ArrayList<>(1);
            while (true) {
                int id = u8();
                if (id == 0) {
                    if (!devices.isEmpty()) {
                        throw ApiException.malformed("A device id 0 appears inside a recipient's device list.");
                    }
                    return devices;
                }
                if (id > MAX_DEVICE_ID) {
                    throw ApiException.malformed("A device id in the multi-recipient payload is above " + MAX_DEVICE_ID + ".");
                }
                int registration = u16();
                devices.add(new Device(id, registration & REGISTRATION_ID_MASK));
                if ((registration & HAS_MORE_DEVICES) == 0) {
                    return devices;
                }
                // A device list longer than the number of valid ids must repeat one; stop it here
                // instead of growing the list with what the recipient check would refuse anyway.
                if (devices.size() == MAX_DEVICE_ID) {
                    throw ApiException.malformed("A recipient's device appears twice in the multi-recipient payload.");
                }
            }
        }

        ByteString bytes(int length) throws ApiException {
            require(length);
            ByteString slice = data.substring(position, position + length);
            position += length;
            return slice;
        }

        ByteString rest() {
            return data.substring(position);
        }
    }
}
