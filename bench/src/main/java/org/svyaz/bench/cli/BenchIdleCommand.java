// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.svyaz.bench.relay.IdleBenchmark;
import org.svyaz.bench.relay.IdleOptions;
import org.svyaz.bench.relay.IdleReport;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.svyaz.SvyazSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "idle", mixinStandardHelpOptions = true,
        description = {"Scenario (c), idle connections: registers CONNECTIONS users, logs each in on its own "
                + "authenticated connection (PARALLEL at a time), lets them all sit idle for HOLD seconds, and reports "
                + "the server's memory per connection: its RSS and its live heap, both after a full collection, "
                + "against the same before any connection. Logging in stops at the first failure (file descriptors, "
                + "memory, ports) and what came up is measured, so it also shows how many connections the machine "
                + "holds.",
                "Every connection needs a file descriptor in this process and in the server: raise the limit first "
                + "(bench/many-connections.sh does). Progress goes to stderr, the report to stdout."})
final class BenchIdleCommand implements Callable<Integer> {
    /** Ephemeral ports per source address towards one server port, with Linux's default range, rounded down. */
    static final int CONNECTIONS_PER_SOURCE_ADDRESS = 25_000;

    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "10000",
            description = "Idle authenticated connections to open, one registered user each (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--parallel-logins", paramLabel = "P", defaultValue = "64",
            description = "Logins in flight at once (default ${DEFAULT-VALUE}).")
    int parallelLogins;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long every connection sits idle before the memory is read (default ${DEFAULT-VALUE}).")
    int holdSeconds;

    @Option(names = "--source-addresses", paramLabel = "K",
            description = "Svyaz only: spread the connections over K loopback source addresses 127.0.0.2 to 127.0.0.K+1, "
                    + "since one address has only about 28,000 ports towards the server (default: one per "
                    + CONNECTIONS_PER_SOURCE_ADDRESS + " connections).")
    Integer sourceAddresses;

    @Option(names = "--ping-after", paramLabel = "SECONDS", defaultValue = "60",
            description = "Svyaz only: a connection that hears nothing this long pings the server, as a phone keeping "
                    + "a connection would (default ${DEFAULT-VALUE}; the server closes connections silent for 120 s).")
    int pingAfterSeconds;

    @Option(names = "--json", description = "Print the report as one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        IdleOptions options;
        try {
            options = new IdleOptions(connections, parallelLogins, Duration.ofSeconds(holdSeconds));
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        if (pingAfterSeconds < 1 || pingAfterSeconds >= 120) {
            throw new CommandLineException("--ping-after must be between 1 and 119 seconds: the server closes a "
                    + "connection silent for 120 s.");
        }
        boolean peer = target.target.mqtt != null || target.target.xmpp != null;
        if (peer && sourceAddresses != null) {
            throw new CommandLineException("--source-addresses is for Svyaz servers; the MQTT and XMPP drivers connect "
                    + "from one address, so keep --connections under " + CONNECTIONS_PER_SOURCE_ADDRESS + " there.");
        }
        int sources = sourceAddresses != null ? sourceAddresses
                : (connections + CONNECTIONS_PER_SOURCE_ADDRESS - 1) / CONNECTIONS_PER_SOURCE_ADDRESS;
        if (sources < 1 || sources > 250) {
            throw new CommandLineException("--source-addresses must be between 1 and 250.");
        }
        List<InetAddress> addresses = loopbackSources(sources);
        Duration pingAfter = Duration.ofSeconds(pingAfterSeconds);
        PrintWriter err = spec.commandLine().getErr();
        IdleReport report = target.run(system -> new IdleBenchmark(system, options,
                line -> BenchTarget.progress(err, line)).run(), err,
                server -> SvyazSystem.forIdleConnections(server, addresses, pingAfter));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? ReportFormat.json(report) + System.lineSeparator() : ReportFormat.table(report));
        out.flush();
        return report.held() > 0 ? ExitCodes.OK : ExitCodes.SERVER_OR_NETWORK;
    }

    /** 127.0.0.2, 127.0.0.3, ...: all loopback on Linux without any set-up. */
    private static List<InetAddress> loopbackSources(int count) throws UnknownHostException {
        List<InetAddress> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            addresses.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i)}));
        }
        return addresses;
    }
}
