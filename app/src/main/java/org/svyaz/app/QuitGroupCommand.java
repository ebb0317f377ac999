// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "quitGroup", mixinStandardHelpOptions = true,
        description = {"Leave a group. The other members learn it and start new keys, so you cannot read what "
                + "they send afterwards.", "The group's only admin must make another member admin first."})
final class QuitGroupCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-g", "--group-id"}, required = true, paramLabel = "GROUP_ID", description = "The group to leave.")
    String groupId;

    @Override
    public Integer call() throws Exception {
        AccountCall.run(root, spec, "quitGroup", Output.object().put("groupId", groupId));
        return ExitCodes.OK;
    }
}
