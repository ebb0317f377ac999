// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.svyaz.app.daemon.DaemonRuntime;
import org.svyaz.app.daemon.OpenAccounts;
import org.svyaz.app.rpc.Daemon;
import org.svyaz.app.rpc.DaemonConfig;
import org.svyaz.app.rpc.ListenAddress;
import org.svyaz.app.rpc.ReceiveMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Run as a long-lived client for bots and scripts, speaking signal-cli's JSON-RPC.",
                "The daemon owns the account's connection: while it runs, other svyaz commands for the account "
                        + "go through it. Incoming messages are 'receive' notifications.",
                "Without -a it serves every account in the data directory, and each call names its 'account'.",
                "Without --socket, --tcp or --http it listens on the UNIX socket."})
final class DaemonCommand implements Callable<Integer> {
    static final String COMMAND_SOCKET = "daemon.commands";
    /** sun_path holds 108 bytes on Linux, the terminating zero included; 104 on the BSDs. */
    private static final int MAX_SOCKET_PATH_BYTES = 103;

    @ParentCommand
    SvyazCommand root;

    @Option(names = "--socket", arity = "0..1", paramLabel = "PATH", fallbackValue = "",
            description = "Listen on a UNIX socket (mode 0600, in a 0700 folder). Default path: "
                    + "$XDG_RUNTIME_DIR/svyaz/socket, else socket in the data directory.")
    String socket;

    @Option(names = "--tcp", arity = "0..1", paramLabel = "HOST:PORT", fallbackValue = "127.0.0.1:7583",
            description = "Listen on TCP (default 127.0.0.1:7583). Anyone who can connect can use the account.")
    String tcp;

    @Option(names = "--http", arity = "0..1", paramLabel = "HOST:PORT", fallbackValue = "127.0.0.1:8080",
            description = "Serve HTTP (default 127.0.0.1:8080): POST /api/v1/rpc, GET /api/v1/events "
                    + "(Server-Sent Events), GET /api/v1/check.")
    String http;

    @Option(names = "--http-token-file", paramLabel = "FILE",
            description = "Require 'Authorization: Bearer <the file's content>' on HTTP.")
    Path httpTokenFile;

    @Option(names = "--receive-mode", paramLabel = "MODE", defaultValue = "on-start",
            description = "on-start (default): receive from the start; on-connection: from the first connection; "
                    + "manual: only after subscribeReceive.")
    String receiveMode;

    @Override
    public Integer call() throws Exception {
        DaemonConfig config = DaemonConfig.none();
        if (socket != null || (tcp == null && http == null)) {
            Path path = socket == null || socket.isEmpty()
                    ? DaemonConfig.defaultSocketPath(System.getenv(), root.dataDir())
                    : Path.of(socket);
            config = config.withSocket(path).withCommandSocket(Daemon.commandSocket(path));
        } else {
            config = withCommandSocket(config, root);
        }
        if (tcp != null) {
            config = config.withTcp(ListenAddress.parse(tcp));
        }
        if (http != null) {
            config = config.withHttp(ListenAddress.parse(http));
        }
        if (httpTokenFile != null) {
            config = config.withHttpTokenFile(httpTokenFile);
        }
        DaemonRuntime daemon = DaemonRuntime.start(openAccounts(root), config, receiveMode(receiveMode),
                SvyazCommand.VERSION, System.err);
        // Runs until SIGTERM or SIGINT; the hook closes the accounts cleanly and removes the socket file.
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "svyaz-daemon-stop"));
        new CountDownLatch(1).await();
        return ExitCodes.OK;
    }

    /**
     * Without a UNIX socket of its own the daemon still needs a command socket, or svyaz commands for its
     * accounts would open the account themselves and knock the daemon offline: one in the account folder
     * (the data directory when serving all). A path too long for a UNIX socket is left out with a warning.
     */
    static DaemonConfig withCommandSocket(DaemonConfig config, SvyazCommand root)
            throws IOException, CommandLineException {
        Path folder = root.accountName().isPresent() ? root.accountDir() : root.dataDir();
        Path commands = folder.toAbsolutePath().resolve(COMMAND_SOCKET);
        if (commands.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            System.err.println("Warning: " + commands + " is too long for a UNIX socket; svyaz commands for "
                    + "this account will not go through this daemon.");
            return config;
        }
        return config.withCommandSocket(commands);
    }

    /** The account of -a, or every account in the data directory. */
    static OpenAccounts openAccounts(SvyazCommand root) throws Exception {
        if (root.accountName().isPresent()) {
            return OpenAccounts.open(root.dataDir(), List.of(root.accountDir().getFileName().toString()), true);
        }
        List<String> accounts = root.accounts();
        if (accounts.isEmpty()) {
            // As signal-cli's multi-account mode: the daemon starts empty and accounts join by 'register'.
            System.err.println("No account in " + root.dataDir() + " yet; create one with the 'register' method.");
        }
        return OpenAccounts.open(root.dataDir(), accounts, false);
    }

    static ReceiveMode receiveMode(String name) throws CommandLineException {
        try {
            return ReceiveMode.fromCliName(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLineException("--receive-mode is on-start, on-connection or manual, not '" + name + "'.");
        }
    }
}
