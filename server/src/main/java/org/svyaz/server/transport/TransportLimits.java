// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.time.Duration;

/**
 * What one connection, and one source address, may hold of the server.
 *
 * @param maxFrameBytes largest WebSocket message; a larger one closes the connection with 1009
 * @param idleTimeout a connection with no traffic this long is closed (clients ping more often)
 * @param maxConnections connections open at once; beyond it new ones are closed as they arrive
 * @param maxConnectionsPerAddress connections open at once from one IPv4 address or IPv6 /64
 * @param maxAnonymousPerAddress WebSockets without credentials from one address (or /64)
 * @param maxRequestsInFlight requests of one authenticated connection handled at once; the
 *                            connection is read no further until one is answered
 * @param maxAnonymousRequestsInFlight the same for a connection without credentials
 * @param requestHeadTimeout time from a connection's first bytes (or a request's) until its
 *                           HTTP request head is complete (the upgrade, a blob request)
 */
public record TransportLimits(int maxFrameBytes, Duration idleTimeout, int maxConnections, int maxConnectionsPerAddress,
                              int maxAnonymousPerAddress, int maxRequestsInFlight, int maxAnonymousRequestsInFlight,
                              Duration requestHeadTimeout) {
    public static final int DEFAULT_MAX_CONNECTIONS = 50_000;
    /** Generous: carrier-grade NAT puts many users behind one address, and a relay all of its own. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;
    /**
     * A client holds one WebSocket with credentials and one without (sealed sends, profiles); half
     * the address's share is enough for them, and all a stranger without an account can keep open.
     */
    public static final int ANONYMOUS_SHARE_DIVISOR = 2;
    /** A client calls one request at a time per thread; a daemon serving several callers a few more. */
    public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 32;
    /** Registration, a sealed send, a profile read: one or two at a time. */
    public static final int DEFAULT_MAX_ANONYMOUS_REQUESTS_IN_FLIGHT = 8;
    public static final Duration DEFAULT_REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(10);

    public TransportLimits {
        if (maxFrameBytes < 4096) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 4096");
        }
        if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxAnonymousPerAddress < 1
                || maxRequestsInFlight < 1 || maxAnonymousRequestsInFlight < 1) {
            throw new IllegalArgumentException("connection and request limits must be at least 1");
        }
        if (idleTimeout == null || requestHeadTimeout == null || requestHeadTimeout.isNegative()
                || requestHeadTimeout.isZero()) {
            throw new IllegalArgumentException("the idle and request head timeouts must be positive");
        }
    }

    /** The given frame size and idle timeout, the defaults for the rest. */
    public TransportLimits(int maxFrameBytes, Duration idleTimeout) {
        this(maxFrameBytes, idleTimeout, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                DEFAULT_MAX_CONNECTIONS_PER_ADDRESS / ANONYMOUS_SHARE_DIVISOR, DEFAULT_MAX_REQUESTS_IN_FLIGHT,
                DEFAULT_MAX_ANONYMOUS_REQUESTS_IN_FLIGHT, DEFAULT_REQUEST_HEAD_TIMEOUT);
    }

    /** Connections in all and per address; anonymous WebSockets get half the address's share. */
    public TransportLimits withConnections(int total, int perAddress) {
        return new TransportLimits(maxFrameBytes, idleTimeout, total, perAddress,
                Math.max(1, perAddress / ANONYMOUS_SHARE_DIVISOR), maxRequestsInFlight, maxAnonymousRequestsInFlight,
                requestHeadTimeout);
    }
}
