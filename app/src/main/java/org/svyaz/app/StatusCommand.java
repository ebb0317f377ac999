// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ConnectionStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Connect and show which route reaches the server, and why the others failed.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            ConnectionStatus status = client.status();
            PrintWriter out = spec.commandLine().getOut();
            if (root.output == SvyazCommand.OutputFormat.JSON) {
                ObjectNode node = Output.object();
                node.put("account", client.username());
                node.put("connected", true);
                node.put("route", status.route());
                var failed = node.putArray("failedRoutes");
                status.failedRoutes().forEach(failed::add);
                node.put("endpoints", status.endpoints());
                node.put("relays", status.relays());
                Output.json(out, node);
            } else {
                out.println("Connected via " + status.route() + " (" + status.endpoints() + " address(es), "
                        + status.relays() + " relay(s) known)");
                status.failedRoutes().forEach(f -> out.println("  failed first: " + f));
            }
        }
        return ExitCodes.OK;
    }
}
