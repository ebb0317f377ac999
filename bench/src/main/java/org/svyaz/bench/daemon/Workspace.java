// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.svyaz.bench.BenchException;

/**
 * A temporary directory for the accounts, sockets and logs of one run, and every {@code svyaz}
 * process started in it. {@link #close(boolean)} stops the processes that still run and deletes
 * the directory, or keeps it for a look after a failure. A shutdown hook does the same when the
 * load tool is stopped (Ctrl-C), so no daemon outlives it: a daemon, unlike the spawned server,
 * does not stop when its standard input ends.
 */
public final class Workspace implements AutoCloseable {
    /** A daemon shuts down gracefully on SIGTERM (closing its accounts); after this it is killed. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    /** The launcher's first run may build the project. */
    private static final Duration LAUNCHER_CHECK_TIMEOUT = Duration.ofMinutes(10);

    private final Path directory;
    private final Path launcher;
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook;
    private boolean closed;

    /** The result of a command that ran to its end. */
    public record Finished(int exitCode, Path out, Path err) {}

    /**
     * @param launcher the {@code svyaz} command every process runs
     * @param prefix how the temporary directory's name starts, after the scenario
     */
    private Workspace(Path launcher, String prefix) throws IOException {
        this.launcher = launcher;
        this.directory = Files.createTempDirectory(prefix);
        Files.createDirectories(logs());
        this.hook = new Thread(() -> close(false), "bench-daemon-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** What a scenario does in its workspace. */
    @FunctionalInterface
    public interface Body<T> {
        T runIn(Workspace workspace) throws BenchException, InterruptedException;
    }

    /**
     * Runs {@code body} in a new workspace named {@code prefix…}, once the launcher answers
     * {@code --version} (building first if it must): deleted afterwards, or kept (and
     * named through {@code progress}) when the run fails, so its accounts and logs can be looked at.
     */
    public static <T> T run(Path launcher, String prefix, Consumer<String> progress, Body<T> body)
            throws BenchException {
        Workspace workspace;
        try {
            workspace = new Workspace(launcher, prefix);
        } catch (IOException e) {
            throw new BenchException("Cannot create a temporary directory: " + e.getMessage(), e);
        }
        boolean finished = false;
        try {
            progress.accept("workspace " + workspace.directory() + "; running the launcher once (it builds when stale)");
            Finished version = workspace.run("version", LAUNCHER_CHECK_TIMEOUT, List.of("--version"));
            if (version.exitCode() != 0) {
                throw new BenchException(launcher + " --version exited with " + version.exitCode() + "; see "
                        + version.err() + ".", null);
            }
            T result = body.runIn(workspace);
            finished = true;
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted.", e);
        } finally {
            workspace.close(!finished);
            if (!finished) {
                progress.accept("kept " + workspace.directory() + " (accounts and logs) for a look");
            }
        }
    }

    /**
     * Registers {@code nickname} with {@code svyaz register} in a data directory of its own, within
     * {@code timeout}; returns the username the server gave.
     */
    public String register(String nickname, String serverLink, Duration timeout) throws BenchException {
        Finished done = run("register-" + nickname, timeout, List.of("-d", dataDir(nickname).toString(), "-o", "json",
                "register", "--server", serverLink, "--username", nickname));
        try {
            if (done.exitCode() == 0) {
                JsonNode registered = RpcConnection.JSON.readTree(Files.readString(done.out()));
                if (registered.path("username").isTextual()) {
                    return registered.get("username").asText();
                }
            }
        } catch (IOException e) {
            // Reported below with the log.
        }
        throw new BenchException("Registering " + nickname + " failed (exit " + done.exitCode() + "); see "
                + done.err() + ".", null);
    }

    public Path directory() {
        return directory;
    }

    /**
     * Connects to the socket of {@code daemon} (started as "daemon-NICKNAME") once it listens and
     * answers, within {@code timeout}; fails at once when the daemon exits first.
     */
    public RpcConnection connect(String nickname, Process daemon, RpcConnection.Listener listener, Duration timeout)
            throws BenchException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path socket = socket(nickname);
        while (true) {
            if (!daemon.isAlive()) {
                throw new BenchException("A daemon exited with " + daemon.exitValue() + " before it listened; see "
                        + logs().resolve("daemon-" + nickname + ".err") + ".", null);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BenchException("A daemon did not answer on its socket within "
                        + timeout.toSeconds() + " s; see " + logs() + ".", null);
            }
            if (Files.exists(socket)) {
                try {
                    return RpcConnection.open(socket, nickname, listener, left, TimeUnit.NANOSECONDS);
                } catch (IOException | TimeoutException e) {
                    // Listening but not serving yet, or gone: look again.
                }
            }
            Thread.sleep(100);
        }
    }

    public Path logs() {
        return directory.resolve("logs");
    }

    /** The daemons' sockets: each daemon creates the folder itself, private (0700). */
    public Path socket(String user) {
        return directory.resolve("sockets").resolve(user + ".sock");
    }

    /** A data directory for one user. */
    public Path dataDir(String user) {
        return directory.resolve(user);
    }

    /** Starts {@code svyaz ARGS} for good (a daemon); its output goes to logs/NAME.out and .err. */
    public synchronized Process start(String name, List<String> args) throws BenchException {
        if (closed) {
            throw new BenchException("The run is stopping; " + name + " was not started.", null);
        }
        try {
            Process process = builder(name, args).start();
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new BenchException("Cannot start " + launcher + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code svyaz ARGS} to its end, at most {@code timeout}; its output goes to
     * logs/NAME.out and .err.
     */
    public Finished run(String name, Duration timeout, List<String> args) throws BenchException {
        Process process = start(name, args);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new BenchException("svyaz (" + name + ") did not finish within " + timeout.toSeconds()
                        + " s; see " + logs().resolve(name + ".err") + ".", null);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while running svyaz.", e);
        }
        synchronized (this) {
            processes.remove(process);
        }
        return new Finished(process.exitValue(), logs().resolve(name + ".out"), logs().resolve(name + ".err"));
    }

    /** Stops {@code process} (SIGTERM, then SIGKILL after the grace period) and waits for it. */
    public static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private ProcessBuilder builder(String name, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(logs().resolve(name + ".out").toFile())
                .redirectError(logs().resolve(name + ".err").toFile());
        // Every command names its data directory; these would only point elsewhere.
        builder.environment().remove("SVYAZ_HOME");
        builder.environment().remove("XDG_DATA_HOME");
        return builder;
    }

    /** The run ended: stops what still runs, then deletes the directory unless {@code keep}. */
    @Override
    public void close() {
        close(false);
    }

    /** As {@link #close()}; with {@code keep} the directory and its logs stay. Runs once. */
    public synchronized void close(boolean keep) {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is going down: the hook runs next and finds this closed.
            }
        }
        // SIGTERM to all first, so they shut down side by side rather than one after the other.
        processes.forEach(Process::destroy);
        processes.forEach(Workspace::stop);
        processes.clear();
        if (!keep) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                System.err.println("bench: could not delete " + directory + ": " + e.getMessage());
            }
        }
    }
}
