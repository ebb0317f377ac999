// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;

/**
 * Message timestamps: the wall clock, but never the same value twice on this device. A timestamp
 * names a message (for receipts, quotes, edits, and for recipients to drop a message sent twice),
 * so two messages sent within one millisecond must not share one.
 */
final class UniqueMillisClock extends Clock {
    private final Clock wall;
    private long last;

    UniqueMillisClock(Clock wall) {
        this.wall = wall;
    }

    @Override
    public synchronized long millis() {
        last = Math.max(wall.millis(), last + 1);
        return last;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return wall.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("message timestamps have no zone");
    }
}
