// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.mqtt.MqttSystem;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.server.ServerProcess;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.bench.xmpp.XmppSystem;
import org.svyaz.protocol.InviteLink;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Which server a benchmark scenario runs against, shared by the {@code bench} subcommands. */
final class BenchTarget {
    private static final Duration SPAWN_TIMEOUT = Duration.ofSeconds(60);

    /** One scenario run against a system; the system lives only as long as the call. */
    @FunctionalInterface
    interface Run<R> {
        R against(MessagingSystem system) throws BenchException;
    }

    /** One scenario run against a Svyaz server, for what only Svyaz does; it makes its own system. */
    @FunctionalInterface
    interface SvyazRun<R> {
        R against(ServerUnderTest server) throws BenchException;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--server", paramLabel = "LINK", required = true,
                description = "Invite link of a running Svyaz server (open registration; raise its --send-burst and "
                        + "--sends-per-second, or the rate limit shapes the numbers). Repeat it with each node's "
                        + "link to spread the users over the nodes of a cluster.")
        List<String> links;

        @Option(names = "--spawn", required = true,
                description = "Start a fresh Svyaz server process on a loopback port with an empty embedded store in "
                        + "a temporary directory, and stop it afterwards.")
        boolean spawn;

        @Option(names = "--mqtt", paramLabel = "HOST:PORT", required = true,
                description = "Run against an MQTT broker on loopback instead (QoS 1, a topic per user, TLS), with "
                        + "users u0..uN-1 and passwords bench-<index> as bench/peers/mosquitto.sh sets it up; needs "
                        + "--ca.")
        String mqtt;

        @Option(names = "--xmpp", paramLabel = "HOST:PORT", required = true,
                description = "Run against an XMPP server on loopback instead (one-to-one <message/> stanzas, "
                        + "STARTTLS, SASL PLAIN, stream management acks), with users u0..uN-1 and passwords "
                        + "bench-<index> registered in-band, as bench/peers/ejabberd.sh and prosody.sh set it up; "
                        + "needs --ca.")
        String xmpp;
    }

    @Option(names = "--ca", paramLabel = "PEM",
            description = "With --mqtt or --xmpp: the peer's self-signed certificate, the only one trusted.")
    Path caCertificate;

    @Option(names = "--xmpp-domain", paramLabel = "DOMAIN", defaultValue = "bench.localhost",
            description = "With --xmpp: the server's domain (default ${DEFAULT-VALUE}, as the scripts set it up).")
    String xmppDomain;

    @Option(names = "--peer-name", paramLabel = "NAME",
            description = "With --mqtt or --xmpp: what the peer is, for the report (e.g. ejabberd 23.01).")
    String peerName;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The server's process id on this machine, to measure its CPU and memory; repeat it for "
                    + "every node of a cluster (their use is added up).")
    List<Long> serverPids = new ArrayList<>();

    <R> R run(Run<R> work, PrintWriter err) throws Exception {
        return run(work, err, SvyazSystem::new);
    }

    /** As {@link #run(Run, PrintWriter)}, with a Svyaz server driven by the system {@code svyaz} makes. */
    <R> R run(Run<R> work, PrintWriter err, Function<ServerUnderTest, SvyazSystem> svyaz) throws Exception {
        if (!serverPids.isEmpty() && target.spawn) {
            throw new CommandLineException("--server-pid goes with --server; --spawn knows its own server.");
        }
        if (target.mqtt != null) {
            return runAgainstMqtt(work);
        }
        if (target.xmpp != null) {
            return runAgainstXmpp(work);
        }
        return runOnSvyaz(server -> {
            try (SvyazSystem system = svyaz.apply(server)) {
                return work.against(system);
            }
        }, err);
    }

    /**
     * Runs a scenario that only a Svyaz server can run; with --mqtt or --xmpp it refuses, saying
     * {@code whyOnlySvyaz}.
     */
    <R> R runSvyaz(SvyazRun<R> work, String whyOnlySvyaz, PrintWriter err) throws Exception {
        if (target.mqtt != null || target.xmpp != null) {
            throw new CommandLineException(whyOnlySvyaz);
        }
        if (!serverPids.isEmpty() && target.spawn) {
            throw new CommandLineException("--server-pid goes with --server; --spawn knows its own server.");
        }
        return runOnSvyaz(work, err);
    }

    private <R> R runOnSvyaz(SvyazRun<R> work, PrintWriter err) throws Exception {
        if (caCertificate != null || peerName != null) {
            throw new CommandLineException("--ca and --peer-name go with --mqtt or --xmpp; a Svyaz server's key is "
                    + "pinned in its link.");
        }
        return target.spawn ? runSpawned(work, err) : runAgainstLinks(work);
    }

    private <R> R runAgainstMqtt(Run<R> work) throws Exception {
        if (caCertificate == null) {
            throw new CommandLineException("--mqtt needs --ca PEM, the broker's certificate.");
        }
        String description = (peerName == null ? "MQTT broker" : peerName) + " (MQTT 3.1.1, QoS 1, TLS), "
                + measured();
        try (MqttSystem system = new MqttSystem(loopbackAddress(target.mqtt), caCertificate, serverPids,
                description)) {
            return work.against(system);
        }
    }

    private <R> R runAgainstXmpp(Run<R> work) throws Exception {
        if (caCertificate == null) {
            throw new CommandLineException("--xmpp needs --ca PEM, the server's certificate.");
        }
        String description = (peerName == null ? "XMPP server" : peerName)
                + " (XMPP <message/>, STARTTLS, stream management acks), " + measured();
        try (XmppSystem system = new XmppSystem(loopbackAddress(target.xmpp), xmppDomain, caCertificate, serverPids,
                description)) {
            return work.against(system);
        }
    }

    private String measured() {
        return serverPids.isEmpty() ? "no --server-pid: CPU and memory not measured" : "process " + serverPids;
    }

    /** HOST:PORT, where HOST must be a loopback address: the peers run on this machine only. */
    private static InetSocketAddress loopbackAddress(String hostAndPort) throws CommandLineException {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLineException("Expected HOST:PORT, e.g. 127.0.0.1:18883, not '" + hostAndPort + "'.");
        }
        try {
            int port = Integer.parseInt(hostAndPort.substring(colon + 1));
            InetAddress host = InetAddress.getByName(hostAndPort.substring(0, colon)
                    .replace("[", "").replace("]", ""));
            if (!host.isLoopbackAddress() || port < 1 || port > 65535) {
                throw new CommandLineException("A peer must be on a loopback address and a port from 1 to 65535: '"
                        + hostAndPort + "'.");
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException | UnknownHostException e) {
            throw new CommandLineException("Expected HOST:PORT with a loopback address, not '" + hostAndPort + "'.");
        }
    }

    private <R> R runAgainstLinks(SvyazRun<R> work) throws Exception {
        List<InviteLink> links = new ArrayList<>();
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
        return work.against(server);
    }

    private <R> R runSpawned(SvyazRun<R> work, PrintWriter err) throws BenchException, IOException {
        Path directory = Files.createTempDirectory("svyaz-bench-");
        boolean finished = false;
        try (ServerProcess process = ServerProcess.spawn(directory.resolve("data"), SPAWN_TIMEOUT)) {
            progress(err, "spawned a server process (pid " + process.pid() + ", log " + process.log() + ")");
            ServerUnderTest server = new ServerUnderTest(process.link(), OptionalLong.of(process.pid()),
                    "spawned process, embedded store, loopback");
            // Ctrl-C ends the JVM without the finally blocks: the server would stop by itself once its
            // standard input ends, but its directory would stay behind.
            Thread stopped = new Thread(() -> {
                process.close();
                try {
                    deleteTree(directory);
                } catch (IOException e) {
                    // Shutting down: nobody left to tell.
                }
            }, "bench-server-stop");
            Runtime.getRuntime().addShutdownHook(stopped);
            try {
                R result = work.against(server);
                finished = true;
                return result;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopped);
                } catch (IllegalStateException shuttingDown) {
                    // The hook runs, or has run.
                }
            }
        } finally {
            if (finished) {
                deleteTree(directory);
            } else {
                progress(err, "kept " + directory + " (server data and log) for a look");
            }
        }
    }

    static void progress(PrintWriter err, String line) {
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
