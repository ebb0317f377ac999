// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.client.SvyazClient;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "register", mixinStandardHelpOptions = true,
        description = {"Create an account on the server of an invite link.",
                "A NAME like alice.42 is taken as is; a bare nickname like alice gets free digits picked, "
                        + "and the chosen username is printed."})
final class RegisterCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "INVITE_LINK",
            description = "The server's invite link (svyaz://server/...), as its operator shared it.")
    String server;

    @Option(names = "--username", required = true, paramLabel = "NAME",
            description = "nickname.NN (for example alice.42), or a bare nickname.")
    String username;

    @Option(names = "--relay", paramLabel = "RELAY_LINK",
            description = "A relay to use when the server is blocked (svyaz://relay/...); repeatable.")
    List<String> relayLinks = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        InviteLink link = InviteLink.parse(server);
        List<RelayLink> relays = new ArrayList<>();
        for (String relay : relayLinks) {
            relays.add(RelayLink.parse(relay));
        }
        if (username.contains(".") && Files.exists(root.dataDir().resolve(username).resolve(SvyazClient.ACCOUNT_FILE))) {
            throw new CommandLineException("An account " + username + " already exists in " + root.dataDir() + ".");
        }
        try (SvyazClient client = SvyazClient.register(root.dataDir(), link, relays, username, Clock.systemUTC())) {
            if (root.output == SvyazCommand.OutputFormat.JSON) {
                ObjectNode result = Output.object();
                result.put("username", client.username());
                result.put("uuid", client.accountId().toString());
                Output.json(spec.commandLine().getOut(), result);
            } else {
                spec.commandLine().getOut().println("Registered as " + client.username());
            }
        }
        return ExitCodes.OK;
    }
}
