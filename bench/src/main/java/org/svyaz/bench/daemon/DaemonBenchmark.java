// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.ServerSamples;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.relay.Waits;
import org.svyaz.bench.server.ProcessSample;

/**
 * {@code svyaz bench daemon}: how fast a bot sends through one connection to a daemon, against a
 * script that runs one {@code svyaz send} process per message. Everything runs as a user runs it,
 * as processes of the {@code svyaz} launcher: two accounts registered with {@code svyaz register},
 * bob's daemon notifying the load tool of every arrival, and then
 * <ol>
 *   <li>the daemon path: alice's daemon, and MESSAGES {@code send} calls on one connection to it,
 *       at most WINDOW unanswered;</li>
 *   <li>the CLI path: alice's daemon stopped, then CLI_SENDS {@code svyaz -d ALICE send -m TEXT BOB}
 *       processes one after the other (with no daemon for the account, each opens it itself).</li>
 * </ol>
 * Both ends of every measurement are in this process (the request written or the process started,
 * then the answer or the exit, and bob's notification), so one clock times them all.
 */
public final class DaemonBenchmark {
    private static final Duration REGISTER_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration DAEMON_START_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A send retries a broken connection for up to 30 s before it fails; twice that without any
     * answer means the daemon is stuck, and the run stops.
     */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLI_SEND_TIMEOUT = Duration.ofMinutes(2);

    private final ServerUnderTest server;
    private final DaemonOptions options;
    private final Consumer<String> progress;
    private final PathBooks daemonBooks;
    private final PathBooks cliBooks;
    /** The path sending now: what reaches bob and belongs to neither is counted there. */
    private volatile PathBooks current;
    private final AtomicLong lastBobLine = new AtomicLong(System.nanoTime());
    private final AtomicLong lastAliceNotification = new AtomicLong(System.nanoTime());
    /** Sends on the daemon connection still unanswered: taken before a send, given back by its answer. */
    private final Semaphore window;

    public DaemonBenchmark(ServerUnderTest server, DaemonOptions options, Consumer<String> progress) {
        this.server = server;
        this.options = options;
        this.progress = progress;
        // Tells this run's messages from any an earlier run left in a mailbox of a --server.
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.daemonBooks = new PathBooks(new MessageText(run, "daemon"), options.size(), options.messages());
        this.cliBooks = new PathBooks(new MessageText(run, "cli"), options.size(), options.cliSends());
        this.current = daemonBooks;
        this.window = new Semaphore(options.window());
    }

    /** Runs both paths and reports; the temporary directory is kept (and named) when the run fails. */
    public DaemonReport run() throws BenchException {
        return Workspace.run(options.launcher(), "svyaz-bench-daemon-", progress, this::runIn);
    }

    private DaemonReport runIn(Workspace workspace) throws BenchException, InterruptedException {
        long setupStart = System.nanoTime();
        String alice = workspace.register("alice", server.link().toString(), REGISTER_TIMEOUT);
        String bob = workspace.register("bob", server.link().toString(), REGISTER_TIMEOUT);
        Process bobDaemon = startDaemon(workspace, "bob", bob);
        try (RpcConnection bobConnection = workspace.connect("bob", bobDaemon, this::onBobLine,
                DAEMON_START_TIMEOUT)) {
            Process aliceDaemon = startDaemon(workspace, "alice", alice);
            DaemonReport.PathResult daemon;
            double setupSeconds;
            try (RpcConnection aliceConnection = workspace.connect("alice", aliceDaemon, this::onAliceLine,
                    DAEMON_START_TIMEOUT)) {
                setupSeconds = (System.nanoTime() - setupStart) / 1e9;
                progress.accept(String.format("set up in %.1f s: two accounts, two daemons", setupSeconds));
                daemon = sendThroughDaemon(workspace, aliceConnection, aliceDaemon, bobDaemon, bob);
                // Bob's daemon sends a delivery receipt for every message: let alice's daemon take
                // them all, so none is left for the first CLI process to fetch.
                Waits.quiet(lastAliceNotification::get);
            }
            Workspace.stop(aliceDaemon);
            progress.accept("stopped alice's daemon");

            DaemonReport.PathResult cli = null;
            if (options.cliSends() > 0) {
                current = cliBooks;
                cli = sendByProcesses(workspace, bobDaemon, alice, bob);
            }
            if (bobConnection.ended()) {
                throw new BenchException("Bob's daemon closed the load tool's connection during the run; see "
                        + workspace.logs() + ".", null);
            }
            List<String> notes = new ArrayList<>();
            notes.add("bob's daemon sends alice a delivery receipt for every message it receives, as every client "
                    + "does; those are in the CPU and load of both paths");
            if (cli != null) {
                notes.add("each CLI send is a new process of " + options.launcher() + ": a JVM that opens the "
                        + "account, connects (TLS, WebSocket), sends and exits");
            }
            Double ratio = cli == null || cli.sendsPerSecond() == 0 ? null
                    : daemon.sendsPerSecond() / cli.sendsPerSecond();
            return new DaemonReport("daemon", options.messages(), options.window(), options.cliSends(),
                    options.size(), server.description(), setupSeconds, daemon, cli, ratio, List.copyOf(notes));
        }
    }

    private Process startDaemon(Workspace workspace, String nickname, String username) throws BenchException {
        return workspace.start("daemon-" + nickname, List.of("-d", workspace.dataDir(nickname).toString(),
                "-a", username, "daemon", "--socket", workspace.socket(nickname).toString()));
    }

    /** Everything bob's daemon says: a message text is entered in the books of the path it came by. */
    private void onBobLine(JsonNode message, long readNanos) {
        lastBobLine.set(readNanos);
        if (!"receive".equals(message.path("method").asText())) {
            return;
        }
        JsonNode text = message.path("params").path("envelope").path("dataMessage").path("message");
        if (!text.isTextual()) {
            return; // a receipt or a typing notice
        }
        if (!daemonBooks.arrived(text.textValue(), readNanos) && !cliBooks.arrived(text.textValue(), readNanos)) {
            current.foreign();
        }
    }

    /** Everything alice's daemon says: the answers to the sends, and bob's delivery receipts. */
    private void onAliceLine(JsonNode message, long readNanos) {
        if (message.has("method")) {
            lastAliceNotification.set(readNanos);
            return;
        }
        int sequence = message.path("id").asInt(-1);
        if (sequence < 0 || sequence >= daemonBooks.planned()) {
            return;
        }
        Optional<String> failure = failure(message);
        if (failure.isEmpty()) {
            daemonBooks.accepted(sequence, readNanos);
        } else {
            daemonBooks.refused(sequence, readNanos, failure.get());
        }
        window.release();
    }

    private DaemonReport.PathResult sendThroughDaemon(Workspace workspace, RpcConnection alice, Process aliceDaemon,
                                                      Process bobDaemon, String bob)
            throws BenchException, InterruptedException {
        Samples before = Samples.take(aliceDaemon, bobDaemon, server);
        progress.accept("daemon path: " + options.messages() + " sends on one connection, window "
                + options.window());
        for (int sequence = 0; sequence < options.messages(); sequence++) {
            if (!window.tryAcquire(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || alice.ended()) {
                throw new BenchException("Alice's daemon stopped answering (no answer for "
                        + ANSWER_TIMEOUT.toSeconds() + " s, or the connection ended); see "
                        + workspace.logs() + ".", null);
            }
            ObjectNode request = RpcConnection.JSON.createObjectNode().put("jsonrpc", "2.0").put("id", sequence)
                    .put("method", "send");
            ObjectNode params = request.putObject("params").put("message", daemonBooks.text(sequence));
            params.putArray("recipient").add(bob);
            daemonBooks.sent(sequence, System.nanoTime());
            try {
                alice.write(request);
            } catch (IOException e) {
                throw new BenchException("Writing to alice's daemon failed: " + e.getMessage(), e);
            }
        }
        // The last sends' answers; what never comes stays unanswered in the ledger.
        window.tryAcquire(options.window(), ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        drain(daemonBooks);
        Samples after = Samples.take(aliceDaemon, bobDaemon, server);
        return result("daemon", daemonBooks, before.cpuPerSend(after, daemonBooks, before.alice(), after.alice()));
    }

    private DaemonReport.PathResult sendByProcesses(Workspace workspace, Process bobDaemon, String alice, String bob)
            throws BenchException, InterruptedException {
        Path aliceDir = workspace.dataDir("alice");
        if (Files.exists(aliceDir.resolve(alice).resolve("daemon.socket"))) {
            // Not fatal: a marker whose socket no longer listens sends the command to the account itself.
            progress.accept("note: alice's daemon left its socket marker behind");
        }
        Samples before = Samples.take(null, bobDaemon, server);
        progress.accept("CLI path: " + options.cliSends() + " 'svyaz send' processes, one after the other");
        for (int sequence = 0; sequence < options.cliSends(); sequence++) {
            long started = System.nanoTime();
            cliBooks.sent(sequence, started);
            Workspace.Finished done = workspace.run("send-" + sequence, CLI_SEND_TIMEOUT,
                    List.of("-d", aliceDir.toString(), "send", "-m", cliBooks.text(sequence), bob));
            long exited = System.nanoTime();
            if (done.exitCode() == 0) {
                cliBooks.accepted(sequence, exited);
            } else {
                cliBooks.refused(sequence, exited, "exit " + done.exitCode());
            }
            if ((sequence + 1) % 5 == 0 || sequence + 1 == options.cliSends()) {
                progress.accept(String.format("CLI path: %d of %d sent, %d arrived", sequence + 1,
                        options.cliSends(), cliBooks.delivered()));
            }
        }
        drain(cliBooks);
        Samples after = Samples.take(null, bobDaemon, server);
        return result("cli", cliBooks, before.cpuPerSend(after, cliBooks, before.children(), after.children()));
    }

    /** Waits for every accepted message to reach bob (bounded), then for quiet, so late duplicates count. */
    private void drain(PathBooks books) throws BenchException {
        if (!Waits.until(books::allAcceptedArrived, options.drainTimeout())) {
            progress.accept("gave up waiting for arrivals after " + options.drainTimeout().toSeconds() + " s");
        }
        Waits.quiet(lastBobLine::get);
    }

    private DaemonReport.PathResult result(String path, PathBooks books, DaemonReport.Cpu cpu) {
        PathBooks.Tally tally = books.tally();
        double perSecond = tally.sendSeconds() > 0 ? tally.ledger().accepted() / tally.sendSeconds() : 0;
        progress.accept(String.format("%s path: %d accepted, %d delivered, %.2f sends/s", path,
                tally.ledger().accepted(), tally.ledger().delivered(), perSecond));
        return new DaemonReport.PathResult(path, tally.ledger(), tally.failures(), tally.sendSeconds(), perSecond,
                tally.sendLatency(), tally.notificationLatency(), cpu);
    }

    /** Empty for a send every recipient got; else what went wrong, as a short word for the report. */
    static Optional<String> failure(JsonNode reply) {
        JsonNode error = reply.get("error");
        if (error != null && !error.isNull()) {
            return Optional.of("error " + error.path("code").asInt());
        }
        JsonNode results = reply.path("result").path("results");
        if (!results.isArray() || results.isEmpty()) {
            return Optional.of("no results");
        }
        for (JsonNode result : results) {
            String type = result.path("type").asText();
            if (!type.equals("SUCCESS")) {
                return Optional.of(type.isEmpty() ? "no type" : type);
            }
        }
        return Optional.empty();
    }

    /** CPU time read from /proc at one moment: alice's daemon, bob's daemon, the server, exited children. */
    private record Samples(OptionalLong alice, OptionalLong bob, OptionalLong server, OptionalLong children) {
        static Samples take(Process aliceDaemon, Process bobDaemon, ServerUnderTest server) {
            return new Samples(aliceDaemon == null ? OptionalLong.empty() : cpu(ProcessSample.of(aliceDaemon.pid())),
                    cpu(ProcessSample.of(bobDaemon.pid())), cpu(ServerSamples.of(server.pids())),
                    ProcessSample.reapedChildrenCpuNanos());
        }

        private static OptionalLong cpu(Optional<ProcessSample> sample) {
            return sample.isPresent() ? OptionalLong.of(sample.get().cpuNanos()) : OptionalLong.empty();
        }

        /** Milliseconds per accepted send from here to {@code after}; the sender's from its own two samples. */
        DaemonReport.Cpu cpuPerSend(Samples after, PathBooks books, OptionalLong senderBefore,
                                    OptionalLong senderAfter) {
            long sends = books.tally().ledger().accepted();
            return new DaemonReport.Cpu(perSend(senderBefore, senderAfter, sends), perSend(server, after.server, sends),
                    perSend(bob, after.bob, sends));
        }

        private static Double perSend(OptionalLong before, OptionalLong after, long sends) {
            if (before.isEmpty() || after.isEmpty() || sends == 0) {
                return null;
            }
            return (after.getAsLong() - before.getAsLong()) / 1e6 / sends;
        }
    }
}
