// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code svyaz server} as a real process on a fixed loopback port (a restarted server must come
 * back on the same address its invite link names).
 */
final class ServerProcess implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private final Path logDir;
    private final String[] extraArgs;
    private java.util.Map<String, String> environment = java.util.Map.of();
    private Process process;
    private int starts;

    ServerProcess(Path dataDir, Path logDir, String... extraArgs) throws IOException {
        this(dataDir, logDir, freePort(), extraArgs);
    }

    /** On a port chosen beforehand, for arguments that must name it (such as {@code --advertise}). */
    ServerProcess(Path dataDir, Path logDir, int port, String... extraArgs) {
        this.dataDir = dataDir;
        this.logDir = logDir;
        this.extraArgs = extraArgs;
        this.port = port;
    }

    static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    ServerProcess start() throws IOException {
        String[] base = {"server", "--data", dataDir.toString(), "--listen", "127.0.0.1:" + port, "--admin", "off"};
        String[] args = new String[base.length + extraArgs.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extraArgs, 0, args, base.length, extraArgs.length);
        Files.deleteIfExists(dataDir.resolve("invite.txt"));
        process = Cli.start(logDir, "server-" + (++starts), environment, args);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with " + process.exitValue() + "; see " + logDir);
            }
            return Files.exists(dataDir.resolve("invite.txt")) && accepts();
        });
        return this;
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Environment for the server process, e.g. JAVA_TOOL_OPTIONS with a small heap; before {@link #start()}. */
    ServerProcess withEnvironment(java.util.Map<String, String> variables) {
        this.environment = java.util.Map.copyOf(variables);
        return this;
    }

    String inviteLink() throws IOException {
        return Files.readString(dataDir.resolve("invite.txt")).strip();
    }

    int port() {
        return port;
    }

    Process process() {
        return process;
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed beyond what was committed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the graceful path. Returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
