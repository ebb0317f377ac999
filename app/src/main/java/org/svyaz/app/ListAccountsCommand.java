// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.List;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ArrayNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "listAccounts", mixinStandardHelpOptions = true,
        description = "List the accounts in the data directory.")
final class ListAccountsCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> accounts = root.accounts();
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            ArrayNode list = Output.array();
            // signal-cli's shape; a Svyaz account has a username and no phone number.
            accounts.forEach(account -> list.addObject().putNull("number").put("username", account));
            Output.json(spec.commandLine().getOut(), list);
        } else {
            accounts.forEach(spec.commandLine().getOut()::println);
        }
        return ExitCodes.OK;
    }
}
