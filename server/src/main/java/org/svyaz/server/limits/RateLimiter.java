// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.limits;

import java.util.UUID;

/** How often one key (an account) may do something. */
public interface RateLimiter {
    /** Takes one token; false means the key is over its limit. */
    boolean tryAcquire(UUID key);

    /** Seconds until one more action is allowed, rounded up; for the error message. */
    long secondsUntilNextToken();
}
