// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.IdentityInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "listIdentities", mixinStandardHelpOptions = true,
        description = {"Show the identity keys of your contacts with their safety numbers and trust.",
                "Compare the safety number with your contact in person or over another channel."})
final class ListIdentitiesCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "USERNAME", description = "Only this contact.")
    String username;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            List<IdentityInfo> identities = client.identities(Optional.ofNullable(username));
            for (IdentityInfo identity : identities) {
                if (root.output == SvyazCommand.OutputFormat.JSON) {
                    ObjectNode node = Output.object();
                    node.put("username", identity.username());
                    node.put("uuid", identity.accountId().toString());
                    node.put("safetyNumber", identity.safetyNumber());
                    node.put("trustLevel", identity.trust());
                    node.put("addedTimestamp", identity.addedAtMillis());
                    Output.json(spec.commandLine().getOut(), node);
                } else {
                    spec.commandLine().getOut().println(identity.username() + ": " + identity.trust()
                            + " Added: " + Instant.ofEpochMilli(identity.addedAtMillis())
                            + " Safety Number: " + group(identity.safetyNumber()));
                }
            }
        }
        return ExitCodes.OK;
    }

    /** 60 digits in groups of five, as Signal shows them. */
    private static String group(String digits) {
        StringBuilder grouped = new StringBuilder();
        for (int i = 0; i < digits.length(); i += 5) {
            if (i > 0) {
                grouped.append(' ');
            }
            grouped.append(digits, i, Math.min(digits.length(), i + 5));
        }
        return grouped.toString();
    }
}
