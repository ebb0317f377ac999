// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
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
        for (String account : root.accounts()) {
            spec.commandLine().getOut().println(account);
        }
        return ExitCodes.OK;
    }
}
