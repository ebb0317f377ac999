// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.relay.DrainBenchmark;
import org.svyaz.bench.relay.DrainOptions;
import org.svyaz.bench.relay.DrainReport;
import org.svyaz.bench.relay.ReportFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "drain", mixinStandardHelpOptions = true,
        description = {"Scenario (b), store-and-forward: while USERS recipients are offline, SENDERS users send "
                + "MESSAGES messages of SIZE opaque bytes to random recipients; then every recipient logs in "
                + "(PARALLEL at a time) and receives what waited. Reports drained msgs/s (first login to last "
                + "arrival), losses and duplicates, and the server's CPU per message during the drain when it runs "
                + "as a separate process.",
                "Progress goes to stderr, the report to stdout."})
final class BenchDrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--users", paramLabel = "N", defaultValue = "1000",
            description = "Recipients, offline while the messages are sent (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--senders", paramLabel = "N", defaultValue = "50",
            description = "Users that send every message (default ${DEFAULT-VALUE}).")
    int senders;

    @Option(names = "--messages", paramLabel = "M", defaultValue = "200000",
            description = "Messages in total (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--size", paramLabel = "S", defaultValue = "256",
            description = "Bytes per message, at least 24 (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16",
            description = "Sends a sender may have unanswered at once (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--parallel-logins", paramLabel = "P", defaultValue = "32",
            description = "Recipients logging in at the same time when the drain starts (default ${DEFAULT-VALUE}).")
    int parallelLogins;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "How long the recipients get to receive everything before the rest counts lost "
                    + "(default ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        DrainOptions options;
        try {
            options = new DrainOptions(users, senders, messages, size, window, parallelLogins,
                    Duration.ofSeconds(drainTimeoutSeconds),
                    output.seed());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        if (target.target.mqtt != null) {
            throw new CommandLineException("The drain scenario does not run against MQTT yet: the MQTT driver logs in "
                    + "with clean sessions, so the broker keeps nothing for users who are offline.");
        }
        PrintWriter err = spec.commandLine().getErr();
        DrainReport report = target.run(system -> new DrainBenchmark(system, options,
                line -> BenchTarget.progress(err, line)).run(), err);
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }
}
