// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.time.Clock;
import java.util.concurrent.Callable;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "quitGroup", mixinStandardHelpOptions = true,
        description = {"Leave a group. The other members learn it and start new keys, so you cannot read what "
                + "they send afterwards.", "The group's only admin must make another member admin first."})
final class QuitGroupCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Option(names = {"-g", "--group-id"}, required = true, paramLabel = "GROUP_ID", description = "The group to leave.")
    String groupId;

    @Override
    public Integer call() throws Exception {
        try (SvyazClient client = SvyazClient.open(root.accountDir(), Clock.systemUTC())) {
            client.quitGroup(groupId);
        }
        return ExitCodes.OK;
    }
}
