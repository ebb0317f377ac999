// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.app.methods.Probing;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
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
        List<RelayLink> extra = Probing.parseRelays(extraRelays);
        JsonNode report;
        if (link == null) {
            // The account's own server: through its daemon when one runs, so the route it stores is the daemon's.
            ObjectNode params = Output.object();
            extraRelays.forEach(params.putArray("relay")::add);
            report = AccountCall.run(root, spec, "probe", params);
        } else {
            InviteLink server = InviteLink.parse(link);
            Optional<SvyazClient> account = accountOn(server);
            try {
                report = Probing.probe(server, extra, account);
            } finally {
                account.ifPresent(SvyazClient::close);
            }
        }
        print(report);
        return report.get("recommendedRoute").isNull() ? ExitCodes.SERVER_OR_NETWORK : ExitCodes.OK;
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

    private void print(JsonNode report) {
        PrintWriter out = spec.commandLine().getOut();
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(out, report);
            return;
        }
        if (report.get("relaysOnly").asBoolean()) {
            out.println("This account uses relays only: the server's own names and addresses were not probed.");
        }
        out.printf("%-40s %-13s %s%n", "ROUTE", "VERDICT", "FIRST FAILURE / ADVICE");
        for (JsonNode route : report.get("routes")) {
            boolean failed = !route.get("failedStep").isNull();
            String first = failed
                    ? route.get("failedStep").asText() + ": " + route.path("failure").asText("")
                    : transferDetail(route.get("steps"));
            out.printf("%-40s %-13s %s%n", route.get("route").asText(), route.get("verdict").asText(), first);
            if (failed) {
                out.printf("%-40s %-13s %s%n", "", "", route.get("advice").asText());
            }
        }
        out.println();
        out.printf("%-40s %-13s %s%n", "ADDRESS", "VERDICT", "SYSTEM DNS / DNS OVER HTTPS");
        for (JsonNode endpoint : report.get("endpoints")) {
            out.printf("%-40s %-13s %s / %s%n", endpoint.get("endpoint").asText(), endpoint.get("verdict").asText(),
                    list(endpoint.get("systemAddresses")), list(endpoint.get("dohAddresses")));
            out.printf("%-40s %-13s %s%n", "", "", endpoint.get("recommendation").asText());
        }
        out.println();
        String note = report.get("preferredRouteNote").asText();
        out.println(report.get("recommendedRoute").isNull()
                ? "No route works from here."
                : "Recommended route: " + report.get("recommendedRoute").asText()
                        + (note.isEmpty() ? "" : " (" + note + ")"));
        for (JsonNode route : report.get("routes")) {
            if (route.get("route").equals(report.get("recommendedRoute")) && !route.get("verdict").asText().equals("ok")) {
                out.println("It works, slowly: " + route.get("advice").asText());
            }
        }
    }

    /** The detail of the step that timed the transfer, which says how fast the route is. */
    private static String transferDetail(JsonNode steps) {
        for (JsonNode step : steps) {
            if (step.has("transfer")) {
                return step.get("detail").asText();
            }
        }
        return "-";
    }

    private static String list(JsonNode addresses) {
        List<String> all = new ArrayList<>();
        addresses.forEach(address -> all.add(address.asText()));
        return all.isEmpty() ? "-" : String.join(", ", all);
    }
}
