// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the load tool's many connections share one process (see {@link ServerConnection#connectShared}).
 *
 * @param group the event loops every connection runs on; the caller owns and shuts them down
 * @param sourceAddress the local address to connect from: one source address has only about 28,000
 *     ephemeral ports towards one server port, so more connections spread over 127.0.0.2, .3, ...
 * @param quietBeforePing how long the connection may hear nothing before it pings the server (and,
 *     after as long again, gives up on it); a phone keeping an idle connection pings far less often
 *     than the interactive client's default
 */
public record SharedConnectionSettings(EventLoopGroup group, Optional<InetAddress> sourceAddress,
        Duration quietBeforePing) {
    public SharedConnectionSettings {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(sourceAddress, "sourceAddress");
        if (quietBeforePing.isNegative() || quietBeforePing.isZero()) {
            throw new IllegalArgumentException("quietBeforePing must be positive");
        }
    }
}
