// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.svyaz.app.daemon.DaemonConnection;
import org.svyaz.app.daemon.DaemonRuntime;
import org.svyaz.app.rpc.AppSessions;
import org.svyaz.app.rpc.DaemonConfig;
import org.svyaz.app.rpc.ListenAddress;
import org.svyaz.app.rpc.ReceiveMode;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "app", mixinStandardHelpOptions = true,
        description = {"Open Svyaz in your web browser.",
                "Starts the Svyaz service for the data directory, serves the app on this computer only "
                        + "(127.0.0.1) and opens it. The link it prints works once: it carries a secret that "
                        + "keeps other users of this computer out. Stop with Ctrl-C.",
                "When a svyaz daemon or app already serves the data directory, it asks that one for a new "
                        + "link instead, and exits."})
final class AppCommand implements Callable<Integer> {
    /** In the data directory: the key that signs the browser's session cookies (see AppSessions). */
    static final String SESSION_KEY_FILE = "app-session.key";
    /** In the data directory: the port the app was last served on, tried first next time. */
    static final String PORT_FILE = "app.port";

    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "0",
            description = "Serve on this port of 127.0.0.1 (default: the last run's, if free, so an open tab "
                    + "reconnects; else a free one).")
    int port;

    @Option(names = "--no-open", description = "Print the link only; do not start a browser.")
    boolean noOpen;

    @Parameters(index = "0", arity = "0..1", paramLabel = "LINK",
            description = {"A svyaz:// link to open in the app (what a browser or the desktop hands over "
                    + "when you click one): a server's invite link fills in the sign-up, a relay's link "
                    + "the connection screen, where you confirm it."})
    String link;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new CommandLineException("--port is 0 to 65535, not " + port + ".");
        }
        String linkFragment = linkFragment();
        Optional<DaemonConnection> running = runningDaemon();
        if (running.isPresent()) {
            // A daemon (or another svyaz app) owns the accounts: it serves the app, with a fresh link.
            String url;
            try (DaemonConnection daemon = running.get()) {
                url = daemon.call("openApp", Output.object()).get("url").asText() + linkFragment;
            }
            announce("Svyaz is already running. Open this link in your browser (it works once):", url);
            return ExitCodes.OK;
        }
        Files.createDirectories(root.dataDir());
        // The tab of the last run reconnects by itself when both its session and its address still hold.
        AppSessions sessions = AppSessions.persistent(root.dataDir().resolve(SESSION_KEY_FILE), Clock.systemUTC());
        Path portFile = root.dataDir().resolve(PORT_FILE);
        int chosen = port != 0 ? port : lastPortIfFree(portFile);
        DaemonConfig config = DaemonCommand.withCommandSocket(
                DaemonConfig.none().withHttp(new ListenAddress("127.0.0.1", chosen)).withApp(sessions), root);
        DaemonRuntime daemon = DaemonRuntime.start(DaemonCommand.openAccounts(root), config, ReceiveMode.ON_START,
                SvyazCommand.VERSION, System.err);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "svyaz-app-stop"));
        int bound = daemon.httpAddress().orElseThrow().getPort();
        Files.writeString(portFile, Integer.toString(bound));
        String url = "http://127.0.0.1:" + bound + "/#secret=" + sessions.newSecret() + linkFragment;
        announce("Svyaz is running. Open this link in your browser (it works once):", url);
        new CountDownLatch(1).await();
        return ExitCodes.OK;
    }

    /** The port the last run served on, when it is free now; else 0, any free port. */
    private static int lastPortIfFree(Path portFile) {
        try {
            int last = Integer.parseInt(Files.readString(portFile).strip());
            if (last < 1024 || last > 65535) {
                return 0;
            }
            try (ServerSocket probe = new ServerSocket(last, 1, InetAddress.getLoopbackAddress())) {
                return last;
            }
        } catch (IOException | NumberFormatException e) {
            return 0; // none yet, unreadable, or taken by now
        }
    }

    /** The link for the page, after the secret in the URL's fragment (which never reaches a server's log). */
    private String linkFragment() throws CommandLineException {
        if (link == null) {
            return "";
        }
        if (!link.startsWith(InviteLink.PREFIX) && !link.startsWith(RelayLink.PREFIX)) {
            throw new CommandLineException("LINK is not a Svyaz link: the app opens "
                    + InviteLink.PREFIX + "… (a server's invite) and " + RelayLink.PREFIX + "… (a relay).");
        }
        return "&link=" + URLEncoder.encode(link, StandardCharsets.UTF_8);
    }

    private void announce(String sentence, String url) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(sentence);
        out.println(url);
        out.flush();
        if (!noOpen) {
            openBrowser(url);
        }
    }

    /** The daemon serving an account of the data directory, or the data directory's command socket. */
    private Optional<DaemonConnection> runningDaemon() throws IOException {
        for (String account : root.accounts()) {
            Optional<DaemonConnection> found = DaemonConnection.find(root.dataDir().resolve(account));
            if (found.isPresent()) {
                return found;
            }
        }
        return DaemonConnection.at(root.dataDir().toAbsolutePath().resolve(DaemonCommand.COMMAND_SOCKET));
    }

    /** xdg-open where there is one; a machine without a desktop just keeps the printed link. */
    private static void openBrowser(String url) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path opener = Path.of(dir.isEmpty() ? "." : dir, "xdg-open");
            if (Files.isExecutable(opener)) {
                try {
                    new ProcessBuilder(opener.toString(), url).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                } catch (IOException e) {
                    System.err.println("Could not start a browser (" + e.getMessage() + "); open the link yourself.");
                }
                return;
            }
        }
    }
}
