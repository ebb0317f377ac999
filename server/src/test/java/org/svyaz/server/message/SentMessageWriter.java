// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Writes Sealed Sender v2 SentMessages by hand, field by field, for the forms libsignal's Java API
 * does not produce (the 0x22 UUID form, repeated recipients) and for malformed payloads.
 */
final class SentMessageWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static SentMessageWriter version(int version) {
        SentMessageWriter writer = new SentMessageWriter();
        writer.out.write(version);
        return writer;
    }

    /** A protobuf varint. */
    SentMessageWriter count(long count) {
        long value = count;
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
        return this;
    }

    SentMessageWriter uuid(UUID id) {
        out.writeBytes(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits()).array());
        return this;
    }

    /** A 17-byte fixed-width service id: {@code type} 0 is an ACI, 1 a PNI. */
    SentMessageWriter serviceId(int type, UUID id) {
        out.write(type);
        return uuid(id);
    }

    SentMessageWriter device(int deviceId, int registrationId, boolean more) {
        out.write(deviceId);
        int value = registrationId | (more ? 0x8000 : 0);
        out.write(value >>> 8);
        out.write(value & 0xFF);
        return this;
    }

    /** The "no devices" marker of an excluded recipient. */
    SentMessageWriter excluded() {
        out.write(0);
        return this;
    }

    SentMessageWriter raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** c and at, 48 bytes of {@code fill}. */
    SentMessageWriter keyMaterial(int fill) {
        for (int i = 0; i < MultiRecipientPayload.KEY_MATERIAL_BYTES; i++) {
            out.write(fill);
        }
        return this;
    }

    /** e_pub and a message: {@code length} bytes in all. */
    SentMessageWriter shared(int length) {
        for (int i = 0; i < length; i++) {
            out.write(i);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
