// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real coturn (Debian's {@code turnserver}) on loopback, started with the configuration
 * {@code svyaz server turn} wrote. Its log goes to the test's log folder, not to {@code /dev/null} as
 * the written configuration says, so a failure can be read. A test that needs it fails when it is
 * not installed ({@code apt-get install coturn}; {@code .ci/run} does it).
 */
final class Coturn implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/turnserver");

    private final Process process;

    private Coturn(Process process) {
        this.process = process;
    }

    /** Starts coturn with {@code serverData/turnserver.conf} and waits until it takes TCP connections on {@code port}. */
    static Coturn start(Path serverData, int port, Path logs) throws IOException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("coturn is missing (" + BINARY + "): install it with apt-get install coturn, "
                    + "as .ci/run does");
        }
        Files.createDirectories(logs);
        Path config = logs.resolve("turnserver.conf");
        List<String> lines = Files.readAllLines(serverData.resolve(TurnCommand.CONFIG_FILE)).stream()
                .filter(line -> !line.startsWith("log-file=") && !line.equals("no-stdout-log"))
                .toList();
        Files.write(config, lines);
        Files.writeString(config, "log-file=" + logs.resolve("coturn.log") + "\nverbose\n",
                java.nio.file.StandardOpenOption.APPEND);
        Process process = new ProcessBuilder(BINARY.toString(), "-c", config.toString(), "--pidfile",
                logs.resolve("coturn.pid").toString())
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve("coturn.out").toFile())
                .start();
        Coturn coturn = new Coturn(process);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("coturn exited with " + process.exitValue() + "; see " + logs);
                }
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (RuntimeException e) {
            coturn.close();
            throw e;
        }
        return coturn;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
