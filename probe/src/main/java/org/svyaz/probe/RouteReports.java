// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.svyaz.client.net.Route;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Puts the measurements together along the client's own routes ({@link org.svyaz.client.net.Routes#of}),
 * so that each verdict is about a way the client really connects, under the key it remembers.
 */
final class RouteReports {
    private RouteReports() {}

    static List<RouteReport> of(List<Route> routes, Map<Endpoint, EndpointProbe.Result> endpoints,
                                Map<RelayLink, Attempt> relays) {
        List<RouteReport> reports = new ArrayList<>();
        for (Route route : routes) {
            List<StepResult> steps = steps(route, endpoints, relays);
            String verdict = Verdicts.of(steps);
            reports.add(new RouteReport(route.key(), route.kind().name().toLowerCase(Locale.ROOT), verdict,
                    steps, Verdicts.advice(verdict, Verdicts.firstFailure(steps).flatMap(StepResult::failure))));
        }
        return List.copyOf(reports);
    }

    /**
     * The first route that works, in the client's order: the one it should start with on this
     * network; when none does, the first that works slowly (messages get through, files slowly).
     */
    static Optional<String> recommended(List<RouteReport> routes) {
        return routes.stream().filter(RouteReport::works).map(RouteReport::route).findFirst()
                .or(() -> routes.stream().filter(RouteReport::worksSlowly).map(RouteReport::route).findFirst());
    }

    private static List<StepResult> steps(Route route, Map<Endpoint, EndpointProbe.Result> endpoints,
                                          Map<RelayLink, Attempt> relays) {
        if (route.relay().isPresent()) {
            return relays.getOrDefault(route.relay().get(), Attempt.timedOut()).steps();
        }
        EndpointProbe.Result measured = endpoints.get(route.endpoint());
        List<StepResult> steps = new ArrayList<>();
        switch (route.kind()) {
            case DOH -> {
                measured.doh().ifPresent(answer -> steps.add(answer.step()));
                // The client tries each address with the real name and without SNI; either will do.
                Optional<Attempt> real = Optional.ofNullable(measured.byDoh().get(SniMode.REAL));
                Optional<Attempt> none = Optional.ofNullable(measured.byDoh().get(SniMode.NONE));
                real.filter(Attempt::ok).or(() -> none.filter(Attempt::ok)).or(() -> real)
                        .ifPresent(attempt -> steps.addAll(attempt.steps()));
            }
            case DIRECT, NO_SNI, COVER_SNI -> {
                steps.add(measured.system().step());
                measured.consistency().ifPresent(steps::add);
                SniMode mode = switch (route.kind()) {
                    case DIRECT -> route.sni().isPresent() ? SniMode.REAL : SniMode.NONE;
                    case NO_SNI -> SniMode.NONE;
                    default -> SniMode.COVER;
                };
                Optional.ofNullable(measured.bySystem().get(mode)).ifPresent(attempt -> steps.addAll(attempt.steps()));
            }
            case RELAY -> throw new IllegalStateException("a relay route without a relay");
        }
        return steps;
    }
}
