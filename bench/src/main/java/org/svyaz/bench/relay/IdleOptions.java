// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;

/**
 * One run of the idle-connections scenario (c), validated here once.
 *
 * @param connections authenticated connections to open, one per registered user
 * @param parallelLogins logins in flight at once
 * @param hold how long every connection stays idle before the server's memory is read
 */
public record IdleOptions(int connections, int parallelLogins, @JsonIgnore Duration hold) {
    public IdleOptions {
        if (connections < 1) {
            throw new IllegalArgumentException("--connections must be at least 1");
        }
        if (parallelLogins < 1) {
            throw new IllegalArgumentException("--parallel-logins must be at least 1");
        }
        if (hold.isNegative()) {
            throw new IllegalArgumentException("--hold must not be negative");
        }
    }

    /** For the report: seconds rather than an ISO duration. */
    public long holdSeconds() {
        return hold.toSeconds();
    }
}
