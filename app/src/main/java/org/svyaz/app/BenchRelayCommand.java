// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.ReportFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Scenario (a), online relay: USERS registered users log in, then send MESSAGES messages in "
                + "total of SIZE opaque bytes each to random other users, each with at most WINDOW sends unanswered "
                + "by the server. Reports delivered msgs/s, latency percentiles, losses and duplicates, and the "
                + "server's CPU and memory when it runs as a separate process (--spawn, or --server with --server-pid).",
                "Progress goes to stderr, the report to stdout."})
final class BenchRelayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--users", paramLabel = "N", defaultValue = "1000", description = "Users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--messages", paramLabel = "M", defaultValue = "200000",
            description = "Messages in total, spread evenly over the users (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--size", paramLabel = "S", defaultValue = "256",
            description = "Bytes per message, at least 24 (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16",
            description = "Sends a user may have unanswered at once (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "After the last answer, how long to wait for deliveries before counting the rest lost "
                    + "(default ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        RelayOptions options;
        try {
            options = new RelayOptions(users, messages, size, window, Duration.ofSeconds(drainTimeoutSeconds),
                    output.seed());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        PrintWriter err = spec.commandLine().getErr();
        RelayReport report = target.run(system -> new RelayBenchmark(system, options,
                line -> BenchTarget.progress(err, line)).run(), err);
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }
}
