// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
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
        JsonNode status = AccountCall.run(root, spec, "status", Output.object());
        PrintWriter out = spec.commandLine().getOut();
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(out, status);
        } else {
            out.println("Connected via " + status.get("route").asText() + " (" + status.get("endpoints").asInt()
                    + " address(es), " + status.get("relays").asInt() + " relay(s) known)");
            status.get("failedRoutes").forEach(f -> out.println("  failed first: " + f.asText()));
            if (status.path("flowLimitBytes").asLong() > 0) {
                out.println("Flows on this network froze after " + status.get("flowLimitBytes").asLong() / 1024
                        + " KB; connections move to a fresh one before that.");
            }
        }
        return ExitCodes.OK;
    }
}
