// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.UUID;

/** Account ids travel and are stored as 16 bytes. */
public final class Uuids {
    private Uuids() {}

    public static byte[] toBytes(UUID id) {
        return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
    }

    public static ByteString toByteString(UUID id) {
        return ByteString.copyFrom(toBytes(id));
    }

    /** @throws IllegalArgumentException when the input is not exactly 16 bytes */
    public static UUID fromBytes(byte[] bytes) {
        if (bytes.length != 16) {
            throw new IllegalArgumentException("an account id is 16 bytes, got " + bytes.length);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new UUID(buffer.getLong(), buffer.getLong());
    }

    public static UUID fromByteString(ByteString bytes) {
        return fromBytes(bytes.toByteArray());
    }

    /** The account id a request names, or empty when the field is not exactly 16 bytes. */
    public static Optional<UUID> accountIdOf(ByteString bytes) {
        return bytes.size() == 16 ? Optional.of(fromByteString(bytes)) : Optional.empty();
    }
}
