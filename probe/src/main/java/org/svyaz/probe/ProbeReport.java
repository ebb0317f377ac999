// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.List;
import java.util.Optional;

/**
 * The whole probe.
 *
 * @param endpoints one report per address of the descriptor
 * @param routes the client's routes in the client's own order (direct, no SNI, cover SNI, DNS over HTTPS, relays)
 * @param recommendedRoute the key of the first route that works (else the first that works slowly,
 *                         see {@link RouteReport#worksSlowly}), for the client to start with
 */
public record ProbeReport(List<EndpointReport> endpoints, List<RouteReport> routes, Optional<String> recommendedRoute) {
    /** Some route carries data, at least slowly or on flows that freeze. */
    public boolean anyRouteWorks() {
        return recommendedRoute.isPresent();
    }
}
