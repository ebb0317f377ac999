// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;

/**
 * How a client is connected right now: the route that carries the connection, why the routes
 * tried before it failed, and how many server addresses and relays it knows.
 */
public record ConnectionStatus(String route, List<String> failedRoutes, int endpoints, int relays) {}
