// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.netty.channel.Channel;

/**
 * The server's connection slots: at most {@link TransportLimits#maxConnections()} open at once, at
 * most {@link TransportLimits#maxConnectionsPerAddress()} from one source, and at most
 * {@link TransportLimits#maxAnonymousPerAddress()} WebSockets without credentials from one source.
 * A source is an IPv4 address or an IPv6 /64 (one customer's network: whoever has one address of
 * it has them all). A connection beyond a cap is closed as it arrives.
 *
 * <p>Addresses are kept in memory only while their connections are open; nothing is written down
 * or logged.
 */
final class ConnectionCaps {
    private final TransportLimits limits;
    private final Set<Channel> open = new HashSet<>();
    private final Map<InetAddress, Integer> bySource = new HashMap<>();
    private final Map<InetAddress, Integer> anonymousBySource = new HashMap<>();

    ConnectionCaps(TransportLimits limits) {
        this.limits = limits;
    }

    /** Gives {@code channel} a slot, released when it closes; false: the server or its source is full. */
    synchronized boolean admit(Channel channel) {
        Optional<InetAddress> source = sourceOf(channel);
        if (open.size() >= limits.maxConnections()
                || source.isPresent() && bySource.getOrDefault(source.get(), 0) >= limits.maxConnectionsPerAddress()) {
            return false;
        }
        open.add(channel);
        source.ifPresent(s -> bySource.merge(s, 1, Integer::sum));
        channel.closeFuture().addListener(closed -> release(channel, source, bySource));
        return true;
    }

    /** Counts {@code channel} as a WebSocket without credentials; false: its source has its share. */
    synchronized boolean admitAnonymous(Channel channel) {
        Optional<InetAddress> source = sourceOf(channel);
        if (source.isEmpty()) {
            return true;
        }
        if (anonymousBySource.getOrDefault(source.get(), 0) >= limits.maxAnonymousPerAddress()) {
            return false;
        }
        anonymousBySource.merge(source.get(), 1, Integer::sum);
        channel.closeFuture().addListener(closed -> release(null, source, anonymousBySource));
        return true;
    }

    /** The connections open now. */
    synchronized List<Channel> open() {
        return List.copyOf(open);
    }

    private synchronized void release(Channel channel, Optional<InetAddress> source, Map<InetAddress, Integer> counts) {
        if (channel != null) {
            open.remove(channel);
        }
        source.ifPresent(s -> counts.computeIfPresent(s, (key, count) -> count > 1 ? count - 1 : null));
    }

    /** The IPv4 address, or the /64 of an IPv6 address. */
    static Optional<InetAddress> sourceOf(Channel channel) {
        if (!(channel.remoteAddress() instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return Optional.empty();
        }
        InetAddress address = socket.getAddress();
        if (address instanceof Inet6Address) {
            try {
                return Optional.of(InetAddress.getByAddress(Arrays.copyOf(Arrays.copyOf(address.getAddress(), 8), 16)));
            } catch (UnknownHostException e) {
                throw new AssertionError("16 bytes are an IPv6 address", e);
            }
        }
        return Optional.of(address);
    }
}
