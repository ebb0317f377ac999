// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.time.Duration;

/** The moment the whole probe must be done by; every step's wait is cut to what is left. */
record Deadline(long nanos) {
    static Deadline after(Duration duration) {
        return new Deadline(System.nanoTime() + duration.toNanos());
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    /** {@code wanted}, or less when the deadline comes first. */
    Duration cap(Duration wanted) {
        Duration left = remaining();
        return wanted.compareTo(left) <= 0 ? wanted : left;
    }
}
