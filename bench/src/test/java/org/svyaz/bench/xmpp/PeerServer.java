// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

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
 * A real XMPP server started through its script in bench/peers ({@code start DIR PORT} prints the
 * server's pid). A missing server binary fails the start loudly: the tests must not pass by skipping.
 */
final class PeerServer implements AutoCloseable {
    static final String DOMAIN = "bench.localhost";
    private static final long SCRIPT_TIMEOUT_SECONDS = 120;

    private final Path script;
    private final Path dir;
    private final InetSocketAddress address;
    private final long pid;

    private PeerServer(Path script, Path dir, InetSocketAddress address, long pid) {
        this.script = script;
        this.dir = dir;
        this.address = address;
        this.pid = pid;
    }

    /** Starts {@code bench/peers/<name>.sh} in {@code dir} on a free loopback port. */
    static PeerServer start(String name, Path dir) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("basedir", "."), "peers", name + ".sh").toAbsolutePath();
        int port = freeLoopbackPort();
        String output = run(script, dir, "start", dir.toString(), Integer.toString(port));
        List<String> lines = output.lines().filter(line -> !line.isBlank()).toList();
        long pid = Long.parseLong(lines.getLast().trim());
        return new PeerServer(script, dir, new InetSocketAddress("127.0.0.1", port), pid);
    }

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return pid;
    }

    /** The server's self-signed certificate, written by the script. */
    Path certificate() {
        return dir.resolve("cert.pem");
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(script, dir, "stop", dir.toString());
    }

    private static String run(Path script, Path dir, String... arguments) throws IOException, InterruptedException {
        Path errors = Files.createTempFile(dir, "script", ".err");
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command)
                .redirectError(errors.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        // The server's own output goes to files in dir, so stdout ends when the script does.
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(script.getFileName() + " " + arguments[0] + " did not finish within "
                    + SCRIPT_TIMEOUT_SECONDS + " s");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(script.getFileName() + " " + arguments[0] + " failed (exit "
                    + process.exitValue() + "): " + Files.readString(errors) + output);
        }
        return output;
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
