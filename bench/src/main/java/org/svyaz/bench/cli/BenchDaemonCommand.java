// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.daemon.DaemonBenchmark;
import org.svyaz.bench.daemon.DaemonOptions;
import org.svyaz.bench.daemon.DaemonReport;
import org.svyaz.bench.relay.ReportFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"A bot's way against a script's (issue #14): two accounts registered with 'svyaz register', "
                + "bob's 'svyaz daemon' notifying this tool of every message. First MESSAGES 'send' calls of SIZE "
                + "bytes on one connection to alice's daemon, at most WINDOW unanswered; then, alice's daemon "
                + "stopped, CLI_SENDS 'svyaz send' processes one after the other. Reports sends/s, send latency "
                + "(request to answer; for a process, start to exit) and notification latency (to bob's receive "
                + "notification) of both, lost and duplicate messages, and CPU per send.",
                "Every account and daemon is a 'svyaz' process in a temporary directory, deleted afterwards (kept "
                        + "with the logs when the run fails). Progress goes to stderr, the report to stdout. "
                        + "Svyaz only: --mqtt and --xmpp are refused."})
final class BenchDaemonCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "2000",
            description = "Sends through the daemon connection (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16",
            description = "Sends unanswered on that connection at most (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--cli-sends", paramLabel = "K", defaultValue = "20",
            description = "Sends by a 'svyaz send' process each, one after the other; 0 skips them "
                    + "(default ${DEFAULT-VALUE}).")
    int cliSends;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "256",
            description = "Characters (ASCII) per message text (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "After a path's last answer, how long to wait for its notifications before counting the "
                    + "rest lost (default ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds;

    @Option(names = "--svyaz", paramLabel = "PATH",
            description = "The svyaz launcher to run (default: ./svyaz of the source tree this tool was built in).")
    Path launcher;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        DaemonOptions options;
        try {
            options = new DaemonOptions(messages, window, cliSends, size, Duration.ofSeconds(drainTimeoutSeconds),
                    launcher != null ? launcher.toAbsolutePath() : launcherInTree());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        PrintWriter err = spec.commandLine().getErr();
        DaemonReport report = target.runSvyaz(server -> new DaemonBenchmark(server, options,
                        line -> BenchTarget.progress(err, line)).run(),
                "The daemon scenario runs against Svyaz only (--spawn or --server): it measures svyaz's own daemon "
                        + "and command line.", err);
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }

    /**
     * {@code svyaz} at the root of the tree this tool's jar was built in: the jar is
     * {@code bench/target/svyaz-bench.jar} (or the classes {@code bench/target/classes}).
     */
    static Path launcherInTree() {
        try {
            Path built = Path.of(BenchDaemonCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return built.toAbsolutePath().getParent().getParent().getParent().resolve("svyaz");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("svyaz").toAbsolutePath();
        }
    }
}
