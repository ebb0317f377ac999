// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.mqtt;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Mosquitto started by {@code bench/peers/mosquitto.sh} in a directory of its own, on a free
 * loopback port; {@link #close()} stops it. Starting fails loudly (never skips) when Mosquitto is
 * missing: the script's message says so.
 */
final class MosquittoPeer implements AutoCloseable {
    private static final Path SCRIPT = Path.of("peers", "mosquitto.sh").toAbsolutePath();
    private static final long SCRIPT_TIMEOUT_SECONDS = 60;

    private final Path dir;
    private final int port;
    private final long pid;

    private MosquittoPeer(Path dir, int port, long pid) {
        this.dir = dir;
        this.port = port;
        this.pid = pid;
    }

    static MosquittoPeer start(Path dir, int users) throws IOException, InterruptedException {
        int port = freeLoopbackPort();
        // stdout is the pid and nothing else.
        long pid = Long.parseLong(run(dir, "start", dir.toString(), Integer.toString(port), Integer.toString(users))
                .strip());
        return new MosquittoPeer(dir, port, pid);
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    Path certificate() {
        return dir.resolve("broker-cert.pem");
    }

    long pid() {
        return pid;
    }

    MqttSystem system() throws Exception {
        return new MqttSystem(address(), certificate(), List.of(pid), "Mosquitto (test)");
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(dir, "stop", dir.toString());
    }

    /** Runs the script and returns its stdout; when it fails, the message carries its stderr. */
    private static String run(Path dir, String... arguments) throws IOException, InterruptedException {
        if (!Files.isExecutable(SCRIPT)) {
            throw new IllegalStateException(SCRIPT + " is missing or not executable");
        }
        List<String> command = new java.util.ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(arguments));
        Files.createDirectories(dir);
        Path stdout = dir.resolve("script-" + arguments[0] + ".out");
        Path stderr = dir.resolve("script-" + arguments[0] + ".err");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("mosquitto.sh " + arguments[0] + " took longer than "
                    + SCRIPT_TIMEOUT_SECONDS + " s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("mosquitto.sh " + arguments[0] + " failed (exit " + process.exitValue()
                    + "): " + Files.readString(stderr, StandardCharsets.UTF_8).strip());
        }
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** A port nothing listens on right now; the broker binds it a moment later. */
    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
