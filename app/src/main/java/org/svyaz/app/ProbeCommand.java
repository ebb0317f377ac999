// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.probe.EndpointReport;
import org.svyaz.probe.Probe;
import org.svyaz.probe.ProbeReport;
import org.svyaz.probe.RouteReport;
import org.svyaz.probe.StepResult;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Find out what is blocked on the way to the server, and how; then start with what works.",
                "For every address: the system's DNS and DNS over HTTPS, TCP, TLS with the server's name, a random "
                        + "name and none, the WebSocket upgrade and a timed 64 KiB transfer; for every relay: TCP, its "
                        + "TLS, the server's TLS inside, upgrade and transfer. Each of the client's routes gets a verdict "
                        + "in OONI's terms (dns, tcp_ip, tls, http-failure, throttling, ok) with OONI's failure strings.",
                "The first route that works is recommended; for an account (no LINK, or an account on the same "
                        + "server) it becomes the route the client starts with on this network. An account in "
                        + "relays-only mode probes its relays only.",
                "Every step is bounded; the probe ends within 30 s. Exit code 0 when some route works, else 3."})
final class ProbeCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "LINK",
            description = "An invite link; default: the server of your account.")
    String link;

    @Option(names = "--relay", paramLabel = "RELAY_LINK",
            description = "Also probe this relay (svyaz://relay/...); repeatable.")
    List<String> extraRelays = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (link == null) {
            try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
                return probe(client.server(), Optional.of(client));
            }
        }
        InviteLink server = InviteLink.parse(link);
        Optional<SvyazClient> account = accountOn(server);
        try {
            return probe(server, account);
        } finally {
            account.ifPresent(SvyazClient::close);
        }
    }

    private int probe(InviteLink server, Optional<SvyazClient> account) throws Exception {
        List<RelayLink> relays = new ArrayList<>(account.map(SvyazClient::relays).orElseGet(() ->
                server.descriptor().getRelaysList().stream().map(RelayLink::new).toList()));
        for (String extra : extraRelays) {
            RelayLink relay = RelayLink.parse(extra);
            if (!relays.contains(relay)) {
                relays.add(relay);
            }
        }
        boolean relaysOnly = account.map(SvyazClient::relaysOnly).orElse(false);
        ProbeReport report = new Probe().run(server, relays, relaysOnly);
        print(report, store(report, account), relaysOnly);
        return report.anyRouteWorks() ? ExitCodes.OK : ExitCodes.SERVER_OR_NETWORK;
    }

    /** Whether the recommendation became the account's preferred route, and if not, why. */
    private record Stored(boolean stored, String note) {}

    private static Stored store(ProbeReport report, Optional<SvyazClient> account) throws ClientException {
        if (report.recommendedRoute().isEmpty()) {
            return new Stored(false, "");
        }
        if (account.isEmpty()) {
            return new Stored(false, "not stored: no account on this server");
        }
        try {
            account.get().preferRoute(report.recommendedRoute().get());
            return new Stored(true, "now tried first on this network");
        } catch (UserInputException e) {
            return new Stored(false, "not stored: this account does not know that route; add the relay with addRelay");
        }
    }

    /**
     * The account to store the recommendation in when a link is given: the one chosen with -a, or
     * the only one in the data directory, if it is on the same server (same identity key).
     */
    private Optional<SvyazClient> accountOn(InviteLink server) throws IOException, ClientException, CommandLineException {
        List<String> accounts = root.accounts();
        if (root.accountName().isEmpty() && accounts.size() != 1) {
            return Optional.empty();
        }
        Path dir = root.accountDir();
        SvyazClient client = SvyazClient.open(dir, Clock.systemUTC());
        if (client.server().descriptor().getIdentityKey().equals(server.descriptor().getIdentityKey())) {
            return Optional.of(client);
        }
        client.close();
        return Optional.empty();
    }

    private void print(ProbeReport report, Stored stored, boolean relaysOnly) {
        PrintWriter out = spec.commandLine().getOut();
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            ObjectNode result = json(report, stored);
            result.put("relaysOnly", relaysOnly);
            Output.json(out, result);
            return;
        }
        if (relaysOnly) {
            out.println("This account uses relays only: the server's own names and addresses were not probed.");
        }
        out.printf("%-40s %-13s %s%n", "ROUTE", "VERDICT", "FIRST FAILURE / ADVICE");
        for (RouteReport route : report.routes()) {
            Optional<StepResult> failed = route.firstFailure();
            String first = failed.map(s -> s.step() + ": " + s.failure().orElse("")).orElseGet(() ->
                    route.steps().stream().filter(s -> s.transfer().isPresent()).map(StepResult::detail).findFirst()
                            .orElse("-"));
            out.printf("%-40s %-13s %s%n", route.route(), route.verdict(), first);
            if (failed.isPresent()) {
                out.printf("%-40s %-13s %s%n", "", "", route.advice());
            }
        }
        out.println();
        out.printf("%-40s %-13s %s%n", "ADDRESS", "VERDICT", "SYSTEM DNS / DNS OVER HTTPS");
        for (EndpointReport endpoint : report.endpoints()) {
            out.printf("%-40s %-13s %s / %s%n", endpoint.endpoint(), endpoint.verdict(), list(endpoint.systemAddresses()),
                    list(endpoint.dohAddresses()));
            out.printf("%-40s %-13s %s%n", "", "", endpoint.recommendation());
        }
        out.println();
        out.println(report.recommendedRoute().map(route -> "Recommended route: " + route
                + (stored.note().isEmpty() ? "" : " (" + stored.note() + ")")).orElse("No route works from here."));
    }

    private static String list(List<String> addresses) {
        return addresses.isEmpty() ? "-" : String.join(", ", addresses);
    }

    private static ObjectNode json(ProbeReport report, Stored stored) {
        ObjectNode result = Output.object();
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
        result.put("preferredRouteStored", stored.stored());
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
