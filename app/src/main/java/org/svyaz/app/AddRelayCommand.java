// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import org.svyaz.protocol.RelayLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "addRelay", mixinStandardHelpOptions = true,
        description = "Add a relay someone shared (svyaz://relay/...); used when the server cannot be reached directly.")
final class AddRelayCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1", paramLabel = "LINK", description = "The relay link.")
    String link;

    @Override
    public Integer call() throws Exception {
        RelayLink relay = RelayLink.parse(link);
        AccountCall.run(root, spec, "addRelay", Output.object().put("link", link));
        spec.commandLine().getErr().println("Added the relay at " + relay.descriptor().getHost() + ":"
                + relay.descriptor().getPort() + ".");
        return ExitCodes.OK;
    }
}
