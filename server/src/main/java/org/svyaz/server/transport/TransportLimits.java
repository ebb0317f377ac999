// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.time.Duration;

/**
 * @param maxFrameBytes largest WebSocket message; a larger one closes the connection with 1009
 * @param idleTimeout a connection with no traffic this long is closed (clients ping more often)
 */
public record TransportLimits(int maxFrameBytes, Duration idleTimeout) {
    public TransportLimits {
        if (maxFrameBytes < 4096) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 4096");
        }
    }
}
