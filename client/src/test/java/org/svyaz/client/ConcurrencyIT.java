// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.protocol.InviteLink;
import org.svyaz.server.SvyazServer;

/**
 * Many clients register and message each other at the same time; every message arrives exactly
 * once, at the right recipient, from the right sender.
 */
class ConcurrencyIT {
    private static final int CLIENTS = 200;
    private static final int THREADS = 16;
    /**
     * Client i sends to i+1, i-1 and i+7. The first two make every neighbour pair start sessions
     * with each other at the same moment, which libsignal must resolve on both sides.
     */
    private static final int[] OFFSETS = {1, -1, 7};

    @TempDir
    Path temp;

    private interface Task {
        void run(int client) throws Exception;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // only a guard against hanging the build
    void everyMessageArrivesExactlyOnce() throws Exception {
        SvyazClient[] clients = new SvyazClient[CLIENTS];
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (SvyazServer server = TestServer.start(temp.resolve("server"))) {
            try {
                exchangeAndCheck(server.inviteLink(), clients, pool);
            } finally {
                // Clients first, while the server is still up to see them leave.
                pool.shutdownNow();
                for (SvyazClient client : clients) {
                    if (client != null) {
                        client.close();
                    }
                }
            }
        }
    }

    private void exchangeAndCheck(InviteLink link, SvyazClient[] clients, ExecutorService pool) throws Exception {
        Path accounts = temp.resolve("accounts");
        long start = System.nanoTime();
        runForEach(pool, i -> clients[i] = SvyazClient.register(accounts, link, name(i), Clock.systemUTC()));
        long registered = System.nanoTime();

        // "recipient <- sender: body" for every message, sent and received.
        ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
        AtomicIntegerArray expected = new AtomicIntegerArray(CLIENTS);
        runForEach(pool, i -> {
            for (int offset : OFFSETS) {
                int to = Math.floorMod(i + offset, CLIENTS);
                String body = "from " + i + " to " + to + " (+" + offset + ")";
                clients[i].send(name(to), body);
                sent.add(name(to) + " <- " + name(i) + ": " + body);
                expected.incrementAndGet(to);
            }
        });
        long sentAll = System.nanoTime();

        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        runForEach(pool, i -> {
            // Messages only: the delivery receipts for what this client sent arrive in between.
            List<ReceivedMessage> mine = new ArrayList<>();
            java.util.function.Consumer<ReceivedMessage> messages = m -> {
                if (m.signal().isEmpty()) {
                    mine.add(m);
                }
            };
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (mine.size() < expected.get(i) && System.nanoTime() < deadline) {
                clients[i].receive(Duration.ofSeconds(5), expected.get(i) - mine.size(), messages);
            }
            // Anything beyond the expected count that is already stored (a duplicate) shows up here.
            clients[i].receive(Duration.ZERO, Integer.MAX_VALUE, messages);
            for (ReceivedMessage m : mine) {
                received.add(name(i) + " <- " + m.source() + ": "
                        + m.body().orElse("UNDECRYPTABLE " + m.error().orElse("")));
            }
        });
        long receivedAll = System.nanoTime();
        System.out.printf("ConcurrencyIT: %d clients registered in %d ms, %d messages sent in %d ms, "
                        + "received in %d ms%n", CLIENTS, TimeUnit.NANOSECONDS.toMillis(registered - start),
                sent.size(), TimeUnit.NANOSECONDS.toMillis(sentAll - registered),
                TimeUnit.NANOSECONDS.toMillis(receivedAll - sentAll));

        assertThat(sent).hasSize(CLIENTS * OFFSETS.length);
        // Multiset equality: nothing lost, nothing duplicated, nothing misrouted or misattributed.
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
    }

    private static String name(int i) {
        return "conc" + i + ".42";
    }

    /** Runs {@code task} for every client index on the bounded pool and rethrows the first failure. */
    private static void runForEach(ExecutorService pool, Task task) throws Exception {
        List<Future<Void>> futures = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            int client = i;
            Callable<Void> call = () -> {
                task.run(client);
                return null;
            };
            futures.add(pool.submit(call));
        }
        for (Future<Void> future : futures) {
            future.get();
        }
    }
}
