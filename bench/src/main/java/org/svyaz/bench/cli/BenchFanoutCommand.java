// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.svyaz.bench.fanout.FanoutBenchmark;
import org.svyaz.bench.fanout.FanoutOptions;
import org.svyaz.bench.fanout.FanoutReport;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.svyaz.SvyazSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fanout", mixinStandardHelpOptions = true,
        description = {"Scenario (e), fan-out to a group: MEMBERS registered users log in and stay online; SENDERS "
                + "of them send MESSAGES group messages of SIZE bytes, each sealed once for every other member "
                + "(a sender-key message inside Sealed Sender v2, libsignal multiRecipientEncrypt, as the client "
                + "sends to a group) and sent once with /v1/messages/send-multi, at most WINDOW unanswered per "
                + "sender. The server splits each into one copy per member. Reports delivered copies/s, the time "
                + "from a send to its last member, lost and duplicate copies, the server's CPU per copy when it "
                + "runs as a separate process, and the sender's encryption time (sealing happens before the "
                + "send phase and is timed apart).",
                "Progress goes to stderr, the report to stdout. Svyaz only: --mqtt and --xmpp are refused."})
final class BenchFanoutCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--members", paramLabel = "N", defaultValue = "1000",
            description = "Members of the group, the senders included; at most 1000 (default ${DEFAULT-VALUE}).")
    int members;

    @Option(names = "--senders", paramLabel = "N", defaultValue = "1",
            description = "Members that send; message i is sent by member i mod N (default ${DEFAULT-VALUE}).")
    int senders;

    @Option(names = "--messages", paramLabel = "M", defaultValue = "100",
            description = "Group messages in total (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--size", paramLabel = "S", defaultValue = "256",
            description = "Plaintext bytes per message, at least 24; the server refuses a message whose copies "
                    + "add up to more than 32 MiB, about 33 KB each for 1000 members (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--window", paramLabel = "W", defaultValue = "8",
            description = "Group sends a sender may have unanswered at once (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "After the last answer, how long to wait for copies before counting the rest lost "
                    + "(default ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        FanoutOptions options;
        try {
            options = new FanoutOptions(members, senders, messages, size, window,
                    Duration.ofSeconds(drainTimeoutSeconds), output.seed());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        PrintWriter err = spec.commandLine().getErr();
        FanoutReport report = target.runSvyaz(server -> {
            try (SvyazSystem system = new SvyazSystem(server, true)) {
                return new FanoutBenchmark(system, options, line -> BenchTarget.progress(err, line)).run();
            }
        }, "The fan-out scenario runs against Svyaz only (--spawn or --server): a group message there is one "
                + "sealed multi-recipient payload that the server splits per member, and neither MQTT nor XMPP "
                + "has that request. A topic with many subscribers or an XMPP multi-user chat room fans out "
                + "differently and is not compared here.", err);
        output.print(spec.commandLine().getOut(), report, ReportFormat.table(report));
        return ExitCodes.OK;
    }
}
