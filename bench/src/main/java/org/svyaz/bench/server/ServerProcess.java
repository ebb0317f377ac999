// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.svyaz.bench.BenchException;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;

/**
 * A fresh server in a process of its own ({@link SpawnedServer}) on an empty data directory, so
 * that its CPU time and memory can be read from /proc apart from the load tool's. Started with the
 * same Java runtime and classpath as the load tool; {@link #close()} stops it and waits.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Duration POLL = Duration.ofMillis(100);

    private final Process process;
    private final InviteLink link;
    private final Path log;

    private ServerProcess(Process process, InviteLink link, Path log) {
        this.process = process;
        this.link = link;
        this.log = log;
    }

    /**
     * Starts a server with its data in {@code dataDir} (created; must not hold a server yet) and its
     * output in {@code dataDir/../server.log}; waits up to {@code startTimeout} for it to be ready.
     */
    public static ServerProcess spawn(Path dataDir, Duration startTimeout) throws BenchException {
        Path log = dataDir.toAbsolutePath().resolveSibling("server.log");
        Process process;
        try {
            Files.createDirectories(dataDir);
            List<String> command = new ArrayList<>();
            command.add(javaCommand());
            command.add("--enable-native-access=ALL-UNNAMED");
            if (Runtime.version().feature() >= 24) {
                // As ./svyaz starts a server: without it, Netty on JDK 24+ runs without
                // sun.misc.Unsafe, which is slower and not how a real server runs.
                command.add("--sun-misc-unsafe-memory-access=allow");
            }
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(SpawnedServer.class.getName());
            command.add(dataDir.toAbsolutePath().toString());
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new BenchException("Cannot start a server process: " + e.getMessage(), e);
        }
        Path ready = dataDir.resolve(SpawnedServer.READY_FILE);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            while (!Files.exists(ready)) {
                if (!process.isAlive()) {
                    throw new BenchException("The server process exited with status " + process.exitValue()
                            + " before it was ready; see " + log + ".", null);
                }
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new BenchException("The server process was not ready within " + startTimeout.toSeconds()
                            + " s; see " + log + ".", null);
                }
                Thread.sleep(POLL.toMillis());
            }
            return new ServerProcess(process, InviteLink.parse(Files.readString(ready, StandardCharsets.UTF_8).strip()), log);
        } catch (IOException | InvalidInviteLinkException e) {
            process.destroyForcibly();
            throw new BenchException("The server process's invite link is unreadable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while starting the server.", e);
        }
    }

    /** The java binary running this process, so the server runs on the same runtime. */
    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    public InviteLink link() {
        return link;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Ends its standard input (it then shuts down gracefully), then forces it after a grace period. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already closed: the process is going anyway.
        }
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
