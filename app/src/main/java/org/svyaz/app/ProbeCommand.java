// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.probe.EndpointReport;
import org.svyaz.probe.Probe;
import org.svyaz.probe.StepResult;
import org.svyaz.protocol.InviteLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Find out what is blocked on the way to the server, and how.",
                "For every address: DNS, TCP, TLS with and without the server's name, WebSocket upgrade. Verdicts "
                        + "in OONI's terms (dns, tcp_ip, tls, http-failure, ok). Ends within 30 s."})
final class ProbeCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "LINK",
            description = "An invite link; default: the server of your account.")
    String link;

    @Override
    public Integer call() throws Exception {
        InviteLink server;
        if (link != null) {
            server = InviteLink.parse(link);
        } else {
            try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
                server = client.server();
            }
        }
        List<EndpointReport> reports = new Probe().run(server);
        PrintWriter out = spec.commandLine().getOut();
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            ObjectNode result = Output.object();
            ArrayNode endpoints = result.putArray("endpoints");
            for (EndpointReport report : reports) {
                ObjectNode node = endpoints.addObject();
                node.put("endpoint", report.endpoint());
                node.put("verdict", report.verdict());
                node.put("sniFiltered", report.sniFiltered());
                node.put("recommendation", report.recommendation());
                ArrayNode steps = node.putArray("steps");
                for (StepResult step : report.steps()) {
                    ObjectNode s = steps.addObject();
                    s.put("step", step.step());
                    s.put("ok", step.ok());
                    if (step.failure().isPresent()) {
                        s.put("failure", step.failure().get());
                    } else {
                        s.putNull("failure");
                    }
                    s.put("millis", step.millis());
                }
            }
            Output.json(out, result);
        } else {
            out.printf("%-32s %-13s %s%n", "ADDRESS", "VERDICT", "FIRST FAILURE / ADVICE");
            for (EndpointReport report : reports) {
                String failure = report.steps().stream().filter(s -> s.failure().isPresent())
                        .map(s -> s.step() + ": " + s.failure().get()).findFirst().orElse("-");
                out.printf("%-32s %-13s %s%n", report.endpoint(), report.verdict(), failure);
                out.printf("%-32s %-13s %s%n", "", "", report.recommendation());
            }
        }
        return reports.stream().anyMatch(r -> r.verdict().equals("ok")) ? ExitCodes.OK : ExitCodes.SERVER_OR_NETWORK;
    }
}
