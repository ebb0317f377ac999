// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;
import io.netty.util.NetUtil;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * One way to the server: an endpoint, dialled by its own host or at a given address (from DNS
 * over HTTPS), with the given SNI or none, optionally through a relay.
 */
public record Route(RouteKind kind, Endpoint endpoint, Optional<InetAddress> address, Optional<String> sni,
                    Optional<RelayLink> relay) {
    /**
     * Identifies the route across connections, to remember which one works on a network:
     * {@code direct|no_sni|cover_sni|doh HOST:PORT} or {@code relay HOST:PORT}.
     */
    public String key() {
        return relay.map(r -> "relay " + r.descriptor().getHost() + ":" + r.descriptor().getPort())
                .orElse(kind.name().toLowerCase(Locale.ROOT) + " " + hostAndPort(endpoint));
    }

    /** For people: "direct svyaz.example:8443 without SNI", "relay 198.51.100.2:443", ... */
    public String describe() {
        if (relay.isPresent()) {
            return key();
        }
        String target = address.map(a -> hostLiteral(a.getHostAddress()) + ":" + endpoint.getPort()
                + " (" + endpoint.getHost() + " from DNS over HTTPS)").orElse(hostAndPort(endpoint));
        String hello = !isName(endpoint.getHost()) && sni.isEmpty() ? ""
                : sni.map(name -> name.equals(endpoint.getHost()) ? "" : " with SNI " + name).orElse(" without SNI");
        return "direct " + target + hello;
    }

    /** Whether {@code host} is a DNS name rather than an address literal. */
    static boolean isName(String host) {
        return !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host);
    }

    /** An IPv6 literal in brackets, as URLs and host:port strings need it. */
    static String hostLiteral(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    static String hostAndPort(Endpoint endpoint) {
        return endpoint.getHost() + ":" + endpoint.getPort();
    }
}
