// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/** The routes a client tries, in order; shared with the probe so that both measure the same ways in. */
public final class Routes {
    private Routes() {}

    /**
     * The ways to the server, in the order they are started: each address as named (system DNS,
     * the real SNI); each named address again without SNI and under the descriptor's cover name, for
     * a DPI that filters the server's name in the ClientHello (the key is pinned, so the name was
     * never needed to recognise the server); each name looked up with DNS over HTTPS, for a censor
     * that lies about or blocks the name in DNS; then the relays.
     */
    public static List<Route> of(InviteLink link, List<RelayLink> relays) {
        List<Endpoint> endpoints = link.descriptor().getEndpointsList();
        List<Endpoint> named = endpoints.stream().filter(e -> Route.isName(e.getHost())).toList();
        List<Route> routes = new ArrayList<>();
        endpoints.forEach(e -> routes.add(new Route(RouteKind.DIRECT, e, Optional.empty(),
                Route.isName(e.getHost()) ? Optional.of(e.getHost()) : Optional.empty(), Optional.empty())));
        named.forEach(e -> routes.add(new Route(RouteKind.NO_SNI, e, Optional.empty(), Optional.empty(), Optional.empty())));
        link.descriptor().getCoverNamesList().stream().findFirst().ifPresent(cover -> named.forEach(e ->
                routes.add(new Route(RouteKind.COVER_SNI, e, Optional.empty(), Optional.of(cover), Optional.empty()))));
        if (link.descriptor().getDohResolversCount() > 0) {
            named.forEach(e -> routes.add(new Route(RouteKind.DOH, e, Optional.empty(), Optional.of(e.getHost()),
                    Optional.empty())));
        }
        Endpoint server = endpoints.getFirst();
        relays.forEach(r -> routes.add(new Route(RouteKind.RELAY, server, Optional.empty(), Optional.empty(), Optional.of(r))));
        return routes;
    }

    /** The routes with those whose key is {@code preferred} moved to the front, the rest in order. */
    public static List<Route> preferredFirst(List<Route> routes, Optional<String> preferred) {
        List<Route> ordered = new ArrayList<>(routes);
        preferred.ifPresent(key -> ordered.sort((a, b) -> Boolean.compare(!a.key().equals(key), !b.key().equals(key))));
        return ordered;
    }
}
