// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.daemon.DaemonConnection;
import org.svyaz.app.methods.MethodCatalog;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcPeer;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs an account method for a command: through the daemon that serves the account when one runs
 * (its connection stays the only one), else on the account opened here. Either way the command
 * gets the same JSON result, or the same error.
 */
final class AccountCall {
    /** A command line takes no notifications. */
    private static final RpcPeer COMMAND_LINE = new RpcPeer() {
        @Override
        public String label() {
            return "command-line";
        }

        @Override
        public boolean acceptsPushes() {
            return false;
        }

        @Override
        public void push(String frame) {
            // Nobody to tell.
        }
    };

    private AccountCall() {}

    static JsonNode run(SvyazCommand root, CommandSpec spec, String method, ObjectNode params) throws Exception {
        Path accountDir = root.accountDir();
        Optional<DaemonConnection> daemon = DaemonConnection.find(accountDir);
        if (daemon.isPresent()) {
            try (DaemonConnection connection = daemon.get()) {
                params.put("account", accountDir.getFileName().toString());
                return connection.call(method, params);
            }
        }
        try (SvyazClient client = SvyazClient.open(accountDir, Clock.systemUTC())) {
            client.onTransferProgress(new TerminalProgress(spec.commandLine().getErr(), System.console() != null));
            return MethodCatalog.named(method).run(client, new RpcCall(method, params, COMMAND_LINE));
        }
    }

    /** Whether a daemon serves the account now (its commands then go through it). */
    static boolean daemonRuns(Path accountDir) throws Exception {
        Optional<DaemonConnection> daemon = DaemonConnection.find(accountDir);
        if (daemon.isEmpty()) {
            return false;
        }
        daemon.get().close();
        return true;
    }
}
