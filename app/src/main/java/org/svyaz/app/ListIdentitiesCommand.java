// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.time.Instant;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
        ObjectNode params = Output.object();
        if (username != null) {
            params.put("recipient", username);
        }
        JsonNode identities = AccountCall.run(root, spec, "listIdentities", params);
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(spec.commandLine().getOut(), identities);
            return ExitCodes.OK;
        }
        for (JsonNode identity : identities) {
            spec.commandLine().getOut().println(identity.get("username").asText() + ": "
                    + identity.get("trustLevel").asText()
                    + " Added: " + Instant.ofEpochMilli(identity.get("addedTimestamp").asLong())
                    + " Safety Number: " + group(identity.get("safetyNumber").asText()));
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
