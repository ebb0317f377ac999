// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/**
 * The server process {@code --spawn} starts: {@code SvyazServer.start} on the embedded store, as
 * {@code svyaz server} runs it, on a loopback port of the system's choosing, with the per-account
 * send rate limit, the mailbox cap and the connection caps raised out of the way (a benchmark user sends far faster
 * than a person). It lives in {@code bench} rather than reusing the launcher's {@code server}
 * command because the load tool's jar does not carry the launcher.
 *
 * <p>When it is up it writes its invite link to {@code DATA/}{@value #READY_FILE}. It stops
 * gracefully when its standard input ends, so it never outlives the load tool that started it,
 * even when that one is killed.
 */
public final class SpawnedServer {
    public static final String READY_FILE = "bench-ready.txt";
    /** Far above what any benchmark sends per account, so the limit never shapes the numbers. */
    static final int UNLIMITED_SENDS = 100_000_000;
    static final int MAILBOX_MAX = 10_000_000;
    /**
     * Connection caps out of the way too: the idle scenario holds hundreds of thousands, all from
     * loopback addresses (a few hundred per source address, or all from 127.0.0.1).
     */
    static final int UNLIMITED_CONNECTIONS = 100_000_000;

    private SpawnedServer() {}

    /** Argument: the data directory. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: SpawnedServer DATA_DIR");
            System.exit(1);
        }
        Path data = Path.of(args[0]);
        ServerConfig config = ServerConfig.defaults(data, new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(Optional.empty())
                .withSendLimit(UNLIMITED_SENDS, UNLIMITED_SENDS)
                .withMailbox(MAILBOX_MAX, Duration.ofDays(30))
                .withConnectionLimits(UNLIMITED_CONNECTIONS, UNLIMITED_CONNECTIONS);
        SvyazServer server = SvyazServer.start(config);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bench-server-shutdown"));
        Thread.ofPlatform().daemon(true).name("bench-server-stdin").start(() -> {
            waitForEndOfInput(System.in);
            stop.countDown();
        });
        Path temporary = data.resolve(READY_FILE + ".tmp");
        Files.writeString(temporary, server.inviteLink() + "\n", StandardCharsets.UTF_8);
        Files.move(temporary, data.resolve(READY_FILE), StandardCopyOption.ATOMIC_MOVE);
        stop.await();
        server.close();
        System.exit(0);
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Nothing is expected on stdin; only its end matters.
            }
        } catch (IOException e) {
            // A broken pipe means the parent is gone: stop as on end of input.
        }
    }
}
