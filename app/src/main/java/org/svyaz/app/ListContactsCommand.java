// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "listContacts", mixinStandardHelpOptions = true,
        description = {"Show everyone you have written to or heard from: username, profile name and "
                + "disappearing-message timer. Works offline."})
final class ListContactsCommand implements Callable<Integer> {
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
        JsonNode contacts = AccountCall.run(root, spec, "listContacts", params);
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            Output.json(spec.commandLine().getOut(), contacts);
            return ExitCodes.OK;
        }
        for (JsonNode contact : contacts) {
            String name = contact.get("name").asText();
            int timer = contact.get("messageExpirationTime").asInt();
            spec.commandLine().getOut().println(contact.get("username").asText()
                    + (name.isEmpty() ? "" : " Name: " + name)
                    + (timer == 0 ? "" : " Disappearing messages: " + timer + " s"));
        }
        return ExitCodes.OK;
    }
}
