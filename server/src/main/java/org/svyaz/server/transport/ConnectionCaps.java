// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
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
 * it has them all). A connection beyond its source's cap is closed as it arrives. When the server
 * as a whole is full, a newcomer takes the slot of the oldest connection that has not shown
 * credentials (still in its handshake, idle, or a WebSocket without an account), so strangers who
 * fill the server cannot lock out those who have accounts; only a server full of authenticated
 * connections refuses newcomers.
 *
 * <p>Addresses are kept in memory only while their connections are open; nothing is written down
 * or logged.
 */
final class ConnectionCaps {
    private final TransportLimits limits;
    /** In order of arrival, so the oldest unauthenticated one is found first. */
    private final Set<Channel> open = new LinkedHashSet<>();
    /** Open connections that showed an account's credentials (an authenticated WebSocket). */
    private final Set<Channel> authenticated = new HashSet<>();
    private long evicted;
    private final Map<InetAddress, Integer> bySource = new HashMap<>();
    private final Map<InetAddress, Integer> anonymousBySource = new HashMap<>();

    ConnectionCaps(TransportLimits limits) {
        this.limits = limits;
    }

    /**
     * Gives {@code channel} a slot, released when it closes; false: its source is full, or the
     * server is full of authenticated connections. A full server closes its oldest connection
     * without credentials to make room.
     */
    synchronized boolean admit(Channel channel) {
        Optional<InetAddress> source = sourceOf(channel);
        if (source.isPresent() && bySource.getOrDefault(source.get(), 0) >= limits.maxConnectionsPerAddress()) {
            return false;
        }
        if (open.size() >= limits.maxConnections() && !evictOldestUnauthenticated()) {
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

    /** Marks {@code channel} as holding an account's credentials: it keeps its slot when the server is full. */
    synchronized void authenticated(Channel channel) {
        if (open.contains(channel)) {
            authenticated.add(channel);
        }
    }

    /** Connections closed so far to make room for newcomers. */
    synchronized long evicted() {
        return evicted;
    }

    /**
     * Closes the oldest open connection without credentials and frees its slot now (its source's
     * count drops when it has closed); false when every open connection is authenticated.
     */
    private boolean evictOldestUnauthenticated() {
        for (Iterator<Channel> it = open.iterator(); it.hasNext(); ) {
            Channel oldest = it.next();
            if (!authenticated.contains(oldest)) {
                it.remove();
                evicted++;
                oldest.close();
                return true;
            }
        }
        return false;
    }

    /** The connections open now. */
    synchronized List<Channel> open() {
        return List.copyOf(open);
    }

    private synchronized void release(Channel channel, Optional<InetAddress> source, Map<InetAddress, Integer> counts) {
        if (channel != null) {
            open.remove(channel);
            authenticated.remove(channel);
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
