// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;

/**
 * How a client is connected right now: the route that carries the connection, why the routes
 * tried before it failed, and how many server addresses and relays it knows.
 *
 * @param route the route for people, e.g. "direct svyaz.example:8443 without SNI"
 * @param routeKind what kind of route it is, for programs: direct, no_sni, cover_sni, doh or relay
 * @param flowLimitBytes after how many bytes a flow froze on this network (0: none did), so
 *        connections move to a fresh flow well before that
 * @param flowsFrozen connections that froze since this client opened
 * @param flowsRotated connections moved to a fresh flow before they could freeze
 */
public record ConnectionStatus(String route, String routeKind, List<String> failedRoutes, int endpoints,
                               int relays, long flowLimitBytes, int flowsFrozen, int flowsRotated) {}
