// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.limits;

import java.nio.ByteBuffer;
import java.util.UUID;

/** How often one key (an account, or a pair of them) may do something. */
public interface RateLimiter {
    /** Takes one token; false means the key is over its limit. */
    default boolean tryAcquire(UUID key) {
        return tryAcquire(key, 1);
    }

    /**
     * Takes {@code permits} tokens at once (a message to many recipients, or bytes), or none: false
     * means the key has fewer left. More than the burst is never allowed.
     */
    boolean tryAcquire(UUID key, long permits);

    /** Seconds until one more action is allowed, rounded up; for the error message. */
    long secondsUntilNextToken();

    /**
     * One key for a pair, such as (requesting account, target account): a name-based UUID of both
     * ids in order, so each pair gets its own bucket in every implementation (Redis included)
     * without the interface growing a second key type. Not a secret: it only names a bucket.
     */
    static UUID pairKey(UUID first, UUID second) {
        ByteBuffer bytes = ByteBuffer.allocate(32);
        bytes.putLong(first.getMostSignificantBits()).putLong(first.getLeastSignificantBits());
        bytes.putLong(second.getMostSignificantBits()).putLong(second.getLeastSignificantBits());
        return UUID.nameUUIDFromBytes(bytes.array());
    }
}
