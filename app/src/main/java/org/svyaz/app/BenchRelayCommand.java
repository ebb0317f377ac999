// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.bench.server.ServerProcess;
import org.svyaz.protocol.InviteLink;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
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
    private static final Duration SPAWN_TIMEOUT = Duration.ofSeconds(60);

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--server", paramLabel = "LINK", required = true,
                description = "Invite link of a running server (open registration; raise its --send-burst and "
                        + "--sends-per-second, or the rate limit shapes the numbers). Repeat it with each node's "
                        + "link to spread the users over the nodes of a cluster.")
        List<String> links;

        @Option(names = "--spawn", required = true,
                description = "Start a fresh server process on a loopback port with an empty embedded store in a "
                        + "temporary directory, and stop it afterwards.")
        boolean spawn;
    }

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "With --server: the server's process id on this machine, to measure its CPU and memory; "
                    + "repeat it for every node of a cluster (their use is added up).")
    List<Long> serverPids = new java.util.ArrayList<>();

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

    @Option(names = "--seed", paramLabel = "N", description = "Seed for the random recipients (default: random).")
    Long seed;

    @Option(names = "--json", description = "Print the report as one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RelayOptions options;
        try {
            options = new RelayOptions(users, messages, size, window, Duration.ofSeconds(drainTimeoutSeconds),
                    seed != null ? seed : new java.security.SecureRandom().nextLong());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        if (!serverPids.isEmpty() && target.spawn) {
            throw new CommandLineException("--server-pid goes with --server; --spawn knows its own server.");
        }
        PrintWriter err = spec.commandLine().getErr();
        RelayReport report = target.spawn ? runSpawned(options, err) : runAgainst(options, err);
        spec.commandLine().getOut().print(json ? ReportFormat.json(report) + System.lineSeparator()
                : ReportFormat.table(report));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    private RelayReport runAgainst(RelayOptions options, PrintWriter err) throws Exception {
        List<InviteLink> links = new java.util.ArrayList<>();
        for (String link : target.links) {
            links.add(InviteLink.parse(link));
        }
        if (!serverPids.isEmpty() && serverPids.size() != links.size()) {
            throw new CommandLineException("Give one --server-pid per --server, or none.");
        }
        String nodes = links.size() == 1 ? "given by link" : links.size() + " nodes given by links";
        ServerUnderTest server = new ServerUnderTest(links, serverPids, serverPids.isEmpty()
                ? nodes + " (no --server-pid: CPU and memory not measured)"
                : nodes + ", process" + (serverPids.size() == 1 ? " " : "es ") + serverPids);
        return new RelayBenchmark(new SvyazSystem(server), options, line -> progress(err, line)).run();
    }

    private RelayReport runSpawned(RelayOptions options, PrintWriter err) throws BenchException, IOException {
        Path work = Files.createTempDirectory("svyaz-bench-");
        boolean finished = false;
        try (ServerProcess process = ServerProcess.spawn(work.resolve("data"), SPAWN_TIMEOUT)) {
            progress(err, "spawned a server process (pid " + process.pid() + ", log " + process.log() + ")");
            ServerUnderTest server = new ServerUnderTest(process.link(), OptionalLong.of(process.pid()),
                    "spawned process, embedded store, loopback");
            RelayReport report = new RelayBenchmark(new SvyazSystem(server), options, line -> progress(err, line)).run();
            finished = true;
            return report;
        } finally {
            if (finished) {
                deleteTree(work);
            } else {
                progress(err, "kept " + work + " (server data and log) for a look");
            }
        }
    }

    private static void progress(PrintWriter err, String line) {
        err.println("bench: " + line);
        err.flush();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
