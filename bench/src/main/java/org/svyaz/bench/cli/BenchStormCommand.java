// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.relay.StormBenchmark;
import org.svyaz.bench.relay.StormOptions;
import org.svyaz.bench.relay.StormReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "storm", mixinStandardHelpOptions = true,
        description = {"Scenario (d), reconnect storm after a network cut: DEVICES devices are online; the network "
                + "stops carrying anything to them (their connections stop reading while the server still holds "
                + "them); SENDERS users send MESSAGES messages to random devices; then every device reconnects at "
                + "once, retrying failed logins with exponential back-off and jitter. Reports the time until every "
                + "device is back and until everything that waited has arrived, losses and duplicates, retries, and "
                + "the server's CPU per device during the storm when it runs as a separate process.",
                "Raise the open-file limit for many devices (bench/many-connections.sh does). Progress goes to stderr, the "
                        + "report to stdout."})
final class BenchStormCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--devices", paramLabel = "N", defaultValue = "10000",
            description = "Devices that are cut off and reconnect, one registered user each (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--senders", paramLabel = "N", defaultValue = "20",
            description = "Users that send the messages while the devices are cut off (default ${DEFAULT-VALUE}).")
    int senders;

    @Option(names = "--messages", paramLabel = "M", defaultValue = "20000",
            description = "Messages waiting in total when the storm starts, to random devices (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--size", paramLabel = "S", defaultValue = "256",
            description = "Bytes per message, at least 24 (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16",
            description = "Sends a sender may have unanswered at once (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--parallel-logins", paramLabel = "P",
            description = "Devices reconnecting at the same time (default: all of them at once).")
    Integer parallelLogins;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "How long the storm may take, retries included, before the devices not back count as gave "
                    + "up and the messages not arrived as lost (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        StormOptions options;
        try {
            options = new StormOptions(devices, senders, messages, size, window,
                    parallelLogins == null ? Math.max(1, devices) : parallelLogins, Duration.ofSeconds(timeoutSeconds),
                    output.seed());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        if (target.target.mqtt != null) {
            throw new CommandLineException("The storm scenario does not run against MQTT: the MQTT driver logs in with "
                    + "clean sessions, so the broker keeps nothing for devices that reconnect.");
        }
        PrintWriter err = spec.commandLine().getErr();
        StormReport report = target.run(system -> new StormBenchmark(system, options,
                line -> BenchTarget.progress(err, line)).run(), err);
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }
}
