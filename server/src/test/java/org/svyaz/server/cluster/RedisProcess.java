// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own on a free loopback port, so a test can stop and restart it
 * (the machine's Redis on 6379 is shared and must not be disturbed).
 */
public final class RedisProcess implements AutoCloseable {
    /** Redis Cluster's bus listens this far above the client port. */
    private static final int CLUSTER_BUS_OFFSET = 10_000;
    private final Path directory;
    private final int port;
    private final List<String> extraArguments;
    private Process process;

    private RedisProcess(Path directory, int port, List<String> extraArguments) {
        this.directory = directory;
        this.port = port;
        this.extraArguments = extraArguments;
    }

    public static RedisProcess start(Path directory, String... extraArguments) throws Exception {
        RedisProcess redis = new RedisProcess(directory, freePort(), List.of(extraArguments));
        redis.start();
        return redis;
    }

    /**
     * A Redis Cluster node: it listens on its port and on port + 10,000 for the cluster bus, so both
     * must be free, and the port at most 55,535 (Redis refuses to start otherwise).
     */
    public static RedisProcess startClusterNode(Path directory, String... extraArguments) throws Exception {
        RedisProcess redis = new RedisProcess(directory, freeClusterPort(), List.of(extraArguments));
        redis.start();
        return redis;
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public void start() throws Exception {
        Files.createDirectories(directory);
        List<String> command = new ArrayList<>(List.of(executable(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.toString()));
        command.addAll(extraArguments);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("redis-" + port + ".log").toFile()).start();
        // Should the test JVM end without closing us (killed, timed out), take the server along.
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("redis-server exited at start; see " + directory);
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not listen on " + port + " within 10 s");
    }

    /** Kills the server as a crash would (SIGKILL): no goodbye to its clients. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    private static String executable() {
        for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("redis-server is not installed; .ci/run installs it (Debian package redis-server)");
    }

    /**
     * A port below the kernel's ephemeral range (32768 and up) whose bus port is below it too, so no
     * outgoing connection takes either between this check and the server binding them.
     */
    private static int freeClusterPort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 12_000 + random.nextInt(32_768 - CLUSTER_BUS_OFFSET - 12_000);
            if (isFree(port) && isFree(port + CLUSTER_BUS_OFFSET)) {
                return port;
            }
        }
        throw new IOException("no free port pair for a Redis Cluster node below 32768");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
