// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.concurrent.Callable;
import org.svyaz.app.daemon.DaemonRuntime;
import org.svyaz.app.rpc.DaemonConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "jsonRpc", mixinStandardHelpOptions = true,
        description = {"Speak signal-cli's JSON-RPC on standard input and output, one request per line.",
                "For programs that start svyaz as a child process; logs go to standard error.",
                "Without -a it serves every account in the data directory, and each call names its 'account'."})
final class JsonRpcCommand implements Callable<Integer> {
    @ParentCommand
    SvyazCommand root;

    @Option(names = "--receive-mode", paramLabel = "MODE", defaultValue = "on-start",
            description = "on-start (default), on-connection or manual (only after subscribeReceive).")
    String receiveMode;

    @Override
    public Integer call() throws Exception {
        try (DaemonRuntime daemon = DaemonRuntime.start(DaemonCommand.openAccounts(root),
                DaemonCommand.withCommandSocket(DaemonConfig.none(), root),
                DaemonCommand.receiveMode(receiveMode), SvyazCommand.VERSION, System.err)) {
            daemon.serveStdio(System.in, System.out);
        }
        return ExitCodes.OK;
    }
}
