// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * The relay's connection slots. A connection that has not shown the token (undecided, or a visitor
 * of the decoy site) holds its slot only until it is needed: when the relay is full, the oldest
 * such connection gives way to the newcomer, and when one address holds its share of them, that
 * address's oldest gives way. So idle connections, however many and from however many addresses,
 * cannot lock Svyaz clients out, and one address can only push out its own; tunnels are never
 * taken away.
 *
 * <p>Addresses are kept in memory only while their connections are open; nothing is written down
 * (PRIVACY.md, relays).
 */
final class ConnectionSlots {
    private final int maxConnections;
    private final int maxWithoutTokenPerAddress;
    /** Every connection holding a slot. */
    private final Set<Channel> counted = new HashSet<>();
    /** Connections without the token, oldest first: the ones that give way. */
    private final LinkedHashSet<Channel> withoutToken = new LinkedHashSet<>();
    private final Map<InetAddress, LinkedHashSet<Channel>> withoutTokenByAddress = new HashMap<>();

    ConnectionSlots(int maxConnections, int maxWithoutTokenPerAddress) {
        this.maxConnections = maxConnections;
        this.maxWithoutTokenPerAddress = maxWithoutTokenPerAddress;
    }

    /**
     * Gives {@code channel} a slot, closing the connection that gives way for it if one must.
     * False: every slot is a tunnel; refuse it.
     */
    synchronized boolean admit(Channel channel) {
        Optional<InetAddress> address = addressOf(channel);
        LinkedHashSet<Channel> sameAddress = address.map(a -> withoutTokenByAddress.get(a)).orElse(null);
        if (sameAddress != null && sameAddress.size() >= maxWithoutTokenPerAddress) {
            evict(sameAddress.iterator().next());
        }
        if (counted.size() >= maxConnections) {
            Iterator<Channel> oldest = withoutToken.iterator();
            if (!oldest.hasNext()) {
                return false;
            }
            evict(oldest.next());
        }
        counted.add(channel);
        withoutToken.add(channel);
        address.ifPresent(a -> withoutTokenByAddress.computeIfAbsent(a, key -> new LinkedHashSet<>()).add(channel));
        channel.closeFuture().addListener(closed -> release(channel));
        return true;
    }

    /** The connections holding a slot now, tunnels and others. */
    synchronized List<Channel> open() {
        return List.copyOf(counted);
    }

    /** The connection showed the token: it keeps its slot until it closes. */
    synchronized void tunnelOpened(Channel channel) {
        forgetWithoutToken(channel);
    }

    private void evict(Channel channel) {
        release(channel);
        channel.close();
    }

    private synchronized void release(Channel channel) {
        if (counted.remove(channel)) {
            forgetWithoutToken(channel);
        }
    }

    private void forgetWithoutToken(Channel channel) {
        if (withoutToken.remove(channel)) {
            addressOf(channel).ifPresent(address -> withoutTokenByAddress.computeIfPresent(address,
                    (key, channels) -> channels.remove(channel) && channels.isEmpty() ? null : channels));
        }
    }

    private static Optional<InetAddress> addressOf(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress socket
                ? Optional.ofNullable(socket.getAddress()) : Optional.empty();
    }
}
