// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.groups;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * A group's identity: 32 random bytes chosen by its creator, shown as standard base64 (as
 * signal-cli shows group ids), so a user can copy it between commands.
 */
public final class GroupId {
    public static final int LENGTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;

    private GroupId(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    public static GroupId random() {
        byte[] bytes = new byte[LENGTH];
        RANDOM.nextBytes(bytes);
        return new GroupId(bytes);
    }

    /** From the wire; empty when the bytes cannot be a group id. */
    public static Optional<GroupId> fromBytes(byte[] bytes) {
        return bytes.length == LENGTH ? Optional.of(new GroupId(bytes)) : Optional.empty();
    }

    /** From what a user typed; throws {@link IllegalArgumentException} with a sentence for them. */
    public static GroupId parse(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a group id (base64, as listGroups shows it).");
        }
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("'" + text + "' is not a group id (base64 of 32 bytes, as listGroups shows it).");
        }
        return new GroupId(bytes);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
