// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send a message to one or more users.",
                "Exits 0 only once the server has stored the message for every recipient; prints its timestamp."})
final class SendCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "TEXT", description = "The message text.")
    String message;

    @Option(names = {"-a", "--attachment"}, paramLabel = "FILE",
            description = "A file to send with the message (encrypted on this device first); repeatable.")
    List<java.nio.file.Path> attachments = new java.util.ArrayList<>();

    @Parameters(arity = "1..*", paramLabel = "USERNAME", description = "Recipients, like alice.42.")
    List<String> recipients;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.onTransferProgress(new TerminalProgress(spec.commandLine().getErr(), System.console() != null));
            long timestamp = 0;
            String route = "";
            for (String recipient : recipients) {
                SvyazClient.SendResult result = client.send(recipient, message, attachments);
                timestamp = result.timestamp();
                route = result.route();
                if (!result.sealed()) {
                    spec.commandLine().getErr().println("Note: sent to " + recipient + " without sealed sender (the "
                            + "server saw who sent it), because " + recipient + " has not written to you yet.");
                }
            }
            if (root.output == SvyazCommand.OutputFormat.JSON) {
                ObjectNode result = Output.object();
                result.put("timestamp", timestamp);
                result.put("route", route);
                Output.json(spec.commandLine().getOut(), result);
            } else {
                spec.commandLine().getOut().println(timestamp);
            }
        }
        return ExitCodes.OK;
    }
}
