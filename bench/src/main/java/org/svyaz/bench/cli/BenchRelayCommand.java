// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.svyaz.OpaquePayloadCipher;
import org.svyaz.bench.svyaz.SignalPayloadCipher;
import org.svyaz.bench.svyaz.SvyazSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Scenario (a), online relay: USERS registered users log in, then send MESSAGES messages in "
                + "total of SIZE opaque bytes each to random other users, each with at most WINDOW sends unanswered "
                + "by the server; with --e2e, each message is encrypted and decrypted end to end with libsignal "
                + "instead. Reports delivered msgs/s, latency percentiles, losses and duplicates, and the server's "
                + "CPU and memory when it runs as a separate process (--spawn, or --server with --server-pid).",
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

    @Option(names = "--rate", paramLabel = "MSGS_PER_S", defaultValue = "0",
            description = "Open loop: offer this many messages per second in all, each user on a fixed schedule "
                    + "(staggered evenly), still with at most WINDOW unanswered; latency counts from when a message "
                    + "was due, so a system that falls behind shows it. Compare systems at the same --rate. "
                    + "0 (the default) sends as fast as the window allows.")
    double rate;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "After the last answer, how long to wait for deliveries before counting the rest lost "
                    + "(default ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds;

    @Option(names = "--e2e",
            description = "Encrypt every message end to end with libsignal, as Svyaz clients do: a sender's first "
                    + "message to a peer starts a session from the peer's prekey bundle, and every message is "
                    + "decrypted on arrival before it is counted. The clients' cryptography then runs in this load "
                    + "tool; the server does the same work on larger messages (a session's first messages carry "
                    + "about 1.8 KB of keys). With --spawn or --server only.")
    boolean endToEnd;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        RelayOptions options;
        try {
            options = new RelayOptions(users, messages, size, window, Duration.ofSeconds(drainTimeoutSeconds),
                    output.seed(), rate);
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        int largestEncrypted = RelayOptions.MAX_SIZE - SignalPayloadCipher.MAX_OVERHEAD_BYTES;
        if (endToEnd && size > largestEncrypted) {
            throw new CommandLineException("With --e2e, --size must be at most " + largestEncrypted + " bytes: "
                    + "encryption adds up to " + SignalPayloadCipher.MAX_OVERHEAD_BYTES + " and the server takes "
                    + RelayOptions.MAX_SIZE + " at most.");
        }
        PrintWriter err = spec.commandLine().getErr();
        if (endToEnd && (target.target.mqtt != null || target.target.xmpp != null)) {
            throw new CommandLineException("--e2e goes with --spawn or --server: it encrypts with libsignal "
                    + "sessions between Svyaz accounts, while --mqtt and --xmpp peers carry the benchmark bytes as "
                    + "they are.");
        }
        RelayReport report = target.run(system -> new RelayBenchmark(system, options,
                line -> BenchTarget.progress(err, line)).run(), err,
                server -> new SvyazSystem(server, endToEnd ? new SignalPayloadCipher() : new OpaquePayloadCipher()));
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }
}
