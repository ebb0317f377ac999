// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.ARRAY;
import static org.svyaz.app.rpc.RpcParam.optional;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.probe.EndpointReport;
import org.svyaz.probe.Probe;
import org.svyaz.probe.ProbeReport;
import org.svyaz.probe.RouteReport;
import org.svyaz.probe.StepResult;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;

/**
 * What is blocked on the way to a server, and how: runs the probe over the server's addresses and
 * the relays, stores the route that works as the account's first choice, and gives the report as
 * JSON, the same for {@code svyaz probe} and the daemon's {@code probe} method.
 */
public final class Probing {
    private Probing() {}

    static AccountMethod method() {
        return AccountMethod.of("probe", "Find out what is blocked on the way to the server, and how; the route "
                        + "that works is tried first from then on. Ends within 30 s.",
                List.of(optional("relay", ARRAY, "Also probe these relays (svyaz://relay/...).")),
                (client, call) -> {
                    try {
                        return probe(client.server(), parseRelays(call.stringList("relay")), Optional.of(client));
                    } catch (InvalidInviteLinkException e) {
                        throw RpcException.invalidParams("'relay': " + e.getMessage());
                    }
                });
    }

    public static List<RelayLink> parseRelays(List<String> links) throws InvalidInviteLinkException {
        List<RelayLink> relays = new ArrayList<>();
        for (String link : links) {
            relays.add(RelayLink.parse(link));
        }
        return relays;
    }

    /**
     * Probes {@code server} over the account's relays (else the link's) and {@code extraRelays};
     * the recommended route is stored in {@code account} when there is one.
     */
    public static ObjectNode probe(InviteLink server, List<RelayLink> extraRelays, Optional<SvyazClient> account)
            throws ClientException, InterruptedException {
        List<RelayLink> relays = new ArrayList<>(account.map(SvyazClient::relays).orElseGet(() ->
                Probe.relaysOf(server)));
        for (RelayLink extra : extraRelays) {
            if (!relays.contains(extra)) {
                relays.add(extra);
            }
        }
        boolean relaysOnly = account.map(SvyazClient::relaysOnly).orElse(false);
        ProbeReport report = new Probe().run(server, relays, relaysOnly);
        ObjectNode result = json(report);
        result.put("relaysOnly", relaysOnly);
        store(report, account, result);
        return result;
    }

    /** Whether the recommendation became the account's preferred route, and if not, why. */
    private static void store(ProbeReport report, Optional<SvyazClient> account, ObjectNode result)
            throws ClientException {
        boolean stored = false;
        String note = "";
        if (report.recommendedRoute().isPresent()) {
            if (account.isEmpty()) {
                note = "not stored: no account on this server";
            } else {
                try {
                    account.get().preferRoute(report.recommendedRoute().get());
                    stored = true;
                    note = "now tried first on this network";
                } catch (UserInputException e) {
                    note = "not stored: this account does not know that route; add the relay with addRelay";
                }
            }
        }
        result.put("preferredRouteStored", stored);
        result.put("preferredRouteNote", note);
    }

    private static ObjectNode json(ProbeReport report) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        ArrayNode endpoints = result.putArray("endpoints");
        for (EndpointReport endpoint : report.endpoints()) {
            ObjectNode node = endpoints.addObject();
            node.put("endpoint", endpoint.endpoint());
            node.put("verdict", endpoint.verdict());
            node.put("sniFiltered", endpoint.sniFiltered());
            node.put("recommendation", endpoint.recommendation());
            endpoint.systemAddresses().forEach(node.putArray("systemAddresses")::add);
            endpoint.dohAddresses().forEach(node.putArray("dohAddresses")::add);
            steps(node.putArray("steps"), endpoint.steps());
        }
        ArrayNode routes = result.putArray("routes");
        for (RouteReport route : report.routes()) {
            ObjectNode node = routes.addObject();
            node.put("route", route.route());
            node.put("kind", route.kind());
            node.put("verdict", route.verdict());
            Optional<StepResult> failed = route.firstFailure();
            if (failed.isPresent()) {
                node.put("failedStep", failed.get().step());
                node.put("failure", failed.get().failure().orElse(null));
            } else {
                node.putNull("failedStep");
                node.putNull("failure");
            }
            node.put("advice", route.advice());
            steps(node.putArray("steps"), route.steps());
        }
        if (report.recommendedRoute().isPresent()) {
            result.put("recommendedRoute", report.recommendedRoute().get());
        } else {
            result.putNull("recommendedRoute");
        }
        return result;
    }

    private static void steps(ArrayNode array, List<StepResult> steps) {
        for (StepResult step : steps) {
            ObjectNode s = array.addObject();
            s.put("step", step.step());
            s.put("ok", step.ok());
            if (step.failure().isPresent()) {
                s.put("failure", step.failure().get());
            } else {
                s.putNull("failure");
            }
            s.put("millis", step.millis());
            s.put("detail", step.detail());
            step.transfer().ifPresent(t -> {
                ObjectNode transfer = s.putObject("transfer");
                transfer.put("requestedBytes", t.requestedBytes());
                transfer.put("receivedBytes", t.receivedBytes());
                transfer.put("millis", t.millis());
                transfer.put("kbps", t.kilobitsPerSecond());
                transfer.put("complete", t.complete());
                transfer.put("stalled", t.stalled());
            });
        }
    }
}
