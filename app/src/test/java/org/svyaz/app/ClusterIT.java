// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.cluster.RedisClusterProcesses;
import org.svyaz.server.cluster.RedisProcess;
import org.svyaz.server.identity.DescriptorPublisher;
import org.svyaz.server.identity.KeyCreationLock;
import org.svyaz.server.identity.SenderCertificateIssuer;
import org.svyaz.server.identity.ServerIdentity;

/**
 * Cluster mode end to end: three {@code svyaz server} node processes, started at once on one empty
 * shared data directory, on a PostgreSQL and a Redis of the test's own (so both can be crashed), and
 * 100 in-process clients spread over the nodes, each writing to the next, who sits on another node.
 * Every message is counted through each fault: live delivery across nodes, a node killed with SIGKILL,
 * Redis restarted, PostgreSQL crashed and restarted, and then (all nodes restarted onto a three-master
 * Redis Cluster with replicas) a Redis Cluster master killed. None may be lost, none shown twice, and
 * each sender's messages arrive in order.
 */
class ClusterIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterIT.class);
    private static final int NODES = 3;
    private static final int CLIENTS = 100;
    /** One round: every client sends one message to the next client. */
    private static final Duration ROUND = Duration.ofMillis(1500);
    /** How long a healthy cluster may take to deliver across nodes: far below any polling or reconnect. */
    private static final Duration LIVE = Duration.ofSeconds(10);

    @TempDir
    Path temp;

    private final List<AutoCloseable> cleanUp = new ArrayList<>();
    private final List<ServerProcess> nodes = new ArrayList<>();
    private final List<Peer> peers = new ArrayList<>();
    private final AtomicInteger target = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private PostgresProcess postgres;
    private RedisProcess redis;
    private Path data;
    private int[] ports;

    @AfterEach
    void stopEverything() {
        stop.set(true);
        for (Peer peer : peers) {
            peer.close();
        }
        for (ServerProcess node : nodes) {
            closeQuietly(node);
        }
        for (AutoCloseable resource : cleanUp.reversed()) {
            closeQuietly(resource);
        }
    }

    @Test
    void nothingIsLostOrShownTwiceThroughEveryFault() throws Exception {
        postgres = PostgresProcess.start();
        cleanUp.add(postgres);
        redis = RedisProcess.start(temp.resolve("redis"));
        cleanUp.add(redis);
        data = temp.resolve("shared-data");
        ports = new int[NODES];
        List<String> endpointArgs = new ArrayList<>(List.of("server", "descriptor", "--data", data.toString()));
        for (int i = 0; i < NODES; i++) {
            ports[i] = ServerProcess.freePort();
            endpointArgs.addAll(List.of("--add-endpoint", "127.0.0.1:" + ports[i]));
        }
        assertThat(Cli.run(endpointArgs.toArray(String[]::new)).exitCode()).isZero();

        // Three nodes at once on an empty data directory: one makes the keys, all present them.
        startNodes(Map.of("SVYAZ_REDIS_URL", redis.uri()));
        List<InviteLink> links = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            links.add(linkWithNodeFirst(i));
        }

        registerClients(links);
        ExecutorService loops = Executors.newFixedThreadPool(CLIENTS, Thread.ofPlatform().name("client-", 0).factory());
        cleanUp.add(loops::shutdownNow);
        List<Future<?>> running = new ArrayList<>();
        for (Peer peer : peers) {
            running.add(loops.submit(peer::run));
        }

        log.info("phase: warm-up (sessions, profile keys)");
        rounds(1);
        awaitAllDelivered(Duration.ofMinutes(2));

        log.info("phase: live delivery across nodes");
        long before = System.currentTimeMillis();
        rounds(2);
        awaitAllDelivered(Duration.ofSeconds(60));
        assertThat(maxLatencySince(before)).as("delivered live, not on a reconnect or a poll")
                .isLessThan(LIVE.toMillis());

        log.info("phase: a node killed with SIGKILL during traffic");
        roundsWithFault(4, () -> nodes.get(1).kill());
        awaitAllDelivered(Duration.ofSeconds(90));
        nodes.get(1).start(); // back for the phases below

        log.info("phase: Redis restarted during traffic");
        roundsWithFault(6, () -> {
            redis.kill();
            Thread.sleep(6000); // the nodes notice after 3 s and fall back to their mailboxes
            redis.start();
        });
        awaitAllDelivered(Duration.ofSeconds(90));

        log.info("phase: PostgreSQL crashed and restarted during traffic");
        roundsWithFault(6, () -> {
            postgres.crash();
            Thread.sleep(6000);
            postgres.startServer();
        });
        awaitAllDelivered(Duration.ofSeconds(120));

        log.info("phase: every node restarted onto a Redis Cluster; a master killed during traffic");
        RedisClusterProcesses redisCluster = RedisClusterProcesses.start(temp.resolve("redis-cluster"));
        cleanUp.add(redisCluster);
        for (ServerProcess node : nodes) {
            node.terminate();
        }
        nodes.clear();
        startNodes(Map.of("SVYAZ_REDIS_URL", String.join(",", redisCluster.uris()), "SVYAZ_REDIS_CLUSTER", "true"));
        roundsWithFault(5, () -> redisCluster.aMaster().kill());
        awaitAllDelivered(Duration.ofSeconds(120));

        stop.set(true);
        for (Future<?> loop : running) {
            loop.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        int sent = 0;
        int retried = 0;
        for (Peer peer : peers) {
            sent += peer.sent.get();
            retried += peer.retriedSends.get();
            assertThat(peer.failures).as("client %d failed", peer.index).isEmpty();
        }
        log.info("{} messages sent ({} sends retried after a retryable failure), every one received once, in order",
                sent, retried);
        for (Peer peer : peers) {
            Peer sender = peers.get((peer.index + CLIENTS - 1) % CLIENTS);
            assertThat(peer.duplicates).as("shown twice at client %d", peer.index).isEmpty();
            assertThat(peer.outOfOrder).as("out of order at client %d", peer.index).isEmpty();
            assertThat(peer.received.get()).as("received by client %d", peer.index).isEqualTo(sender.sent.get());
        }
    }

    private void startNodes(Map<String, String> redisEnvironment) throws Exception {
        Map<String, String> environment = new java.util.HashMap<>(redisEnvironment);
        environment.put("SVYAZ_STORAGE", "postgres");
        environment.put("SVYAZ_POSTGRES_URL", postgres.jdbcUrl());
        environment.put("SVYAZ_POSTGRES_USER", postgres.user());
        environment.put("SVYAZ_POSTGRES_POOL_SIZE", "8");
        environment.put("JAVA_TOOL_OPTIONS", "-Xmx384m -XX:+UseSerialGC");
        List<ServerProcess> started = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            started.add(new ServerProcess(data, temp.resolve("logs").resolve("node-" + i), ports[i])
                    .withEnvironment(environment));
        }
        nodes.addAll(started);
        try (ExecutorService starting = Executors.newFixedThreadPool(NODES)) {
            List<Future<ServerProcess>> futures = new ArrayList<>();
            for (ServerProcess node : started) {
                futures.add(starting.submit(node::start));
            }
            for (Future<ServerProcess> future : futures) {
                future.get();
            }
        }
    }

    /**
     * The invite link as node {@code first}'s own descriptor has it: that node's address first. The
     * nodes share one data directory and so one identity; the test signs with the same keys.
     */
    private InviteLink linkWithNodeFirst(int first) throws Exception {
        ServerIdentity identity;
        SenderCertificateIssuer certificates;
        try (KeyCreationLock lock = KeyCreationLock.acquire(data)) {
            identity = ServerIdentity.loadOrCreate(data);
            certificates = SenderCertificateIssuer.loadOrCreate(data, Clock.systemUTC());
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (int k = 0; k < NODES; k++) {
            int node = (first + k) % NODES;
            endpoints.add(Endpoint.newBuilder().setHost("127.0.0.1").setPort(ports[node]).build());
        }
        Path scratch = Files.createDirectories(temp.resolve("link-" + first));
        InviteLink link = DescriptorPublisher.publish(identity, certificates.trustRoot().serialize(), endpoints, scratch,
                Clock.systemUTC());
        assertThat(link.descriptor().getTlsKeyPins(0)).isEqualTo(InviteLink.parse(Files.readString(
                data.resolve(DescriptorPublisher.INVITE_FILE))).descriptor().getTlsKeyPins(0));
        return link;
    }

    private void registerClients(List<InviteLink> links) throws Exception {
        try (ExecutorService registering = Executors.newFixedThreadPool(4)) {
            List<Future<Peer>> futures = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int index = i;
                futures.add(registering.submit(() -> new Peer(index, SvyazClient.register(temp.resolve("clients"),
                        links.get(index % NODES), name(index), Clock.systemUTC()))));
            }
            for (Future<Peer> future : futures) {
                peers.add(future.get());
            }
        }
    }

    private static String name(int index) {
        return "c" + index + "." + (10 + index % 90);
    }

    private void rounds(int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            target.incrementAndGet();
            Thread.sleep(ROUND.toMillis());
        }
    }

    @FunctionalInterface
    private interface Fault {
        void inject() throws Exception;
    }

    /**
     * {@code count} rounds; after the first the fault is injected on a thread of its own while the
     * rounds go on, so that sends and deliveries meet it (a restart's outage spans several rounds).
     */
    private void roundsWithFault(int count, Fault fault) throws Exception {
        int retriedBefore = retried();
        rounds(1);
        try (ExecutorService injecting = Executors.newSingleThreadExecutor()) {
            Future<?> injected = injecting.submit(() -> {
                fault.inject();
                return null;
            });
            rounds(count - 1);
            injected.get(2, java.util.concurrent.TimeUnit.MINUTES);
        }
        log.info("{} sends and receives failed with a retryable error by the end of this phase's rounds",
                retried() - retriedBefore);
    }

    private int retried() {
        return peers.stream().mapToInt(peer -> peer.retriedSends.get() + peer.retriedReceives.get()).sum();
    }

    private void awaitAllDelivered(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (Peer peer : peers) {
                if (!peer.failures.isEmpty()) {
                    throw new AssertionError("client " + peer.index + " failed: " + peer.failures);
                }
                Peer sender = peers.get((peer.index + CLIENTS - 1) % CLIENTS);
                if (sender.sent.get() < target.get() || peer.received.get() < sender.sent.get()) {
                    return false;
                }
            }
            return true;
        });
    }

    private long maxLatencySince(long sinceMillis) {
        return peers.stream().mapToLong(peer -> peer.maxLatencySince(sinceMillis)).max().orElse(0);
    }

    /** One client: sends to the next client when the target rises, receives in between; one thread. */
    private final class Peer implements AutoCloseable {
        final int index;
        final SvyazClient client;
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger retriedSends = new AtomicInteger();
        final AtomicInteger retriedReceives = new AtomicInteger();
        final AtomicInteger received = new AtomicInteger();
        /** Per received sequence number: when it was sent and how long it took. */
        final Map<Integer, long[]> latencies = new ConcurrentHashMap<>();
        final List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<String> outOfOrder = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final java.util.Set<Integer> seen = ConcurrentHashMap.newKeySet();
        private final AtomicLong lastSequence = new AtomicLong(-1);

        Peer(int index, SvyazClient client) {
            this.index = index;
            this.client = client;
        }

        void run() {
            String recipient = name((index + 1) % CLIENTS);
            while (!stop.get()) {
                try {
                    if (sent.get() < target.get()) {
                        sendWithRetries(recipient, sent.get());
                        sent.incrementAndGet();
                    }
                    client.receive(Duration.ofMillis(300), 1000, this::count);
                } catch (NetworkException e) {
                    // No node reachable right now (one killed, the others busy): try again.
                    retriedReceives.incrementAndGet();
                    pause(200);
                } catch (ServerRejectedException e) {
                    // Receiving asks the server too (prekey refills, certificates, lookups); while the
                    // database is down those fail with the retryable UNAVAILABLE.
                    if (e.code() != ErrorCode.UNAVAILABLE) {
                        failures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                        return;
                    }
                    retriedReceives.incrementAndGet();
                    pause(500);
                } catch (ClientException | RuntimeException e) {
                    failures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                    return;
                }
            }
        }

        /** As the brief for clients says: a retryable failure (network, UNAVAILABLE, rate limit) is retried. */
        private void sendWithRetries(String recipient, int sequence) throws ClientException {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (true) {
                try {
                    client.send(recipient, "c" + index + ":" + sequence + ":" + System.currentTimeMillis());
                    return;
                } catch (NetworkException | RateLimitedException e) {
                    retry(deadline, e);
                } catch (ServerRejectedException e) {
                    if (e.code() != ErrorCode.UNAVAILABLE) {
                        throw e;
                    }
                    retry(deadline, e);
                }
            }
        }

        private void retry(long deadline, ClientException e) throws ClientException {
            if (System.nanoTime() > deadline || stop.get()) {
                throw e;
            }
            retriedSends.incrementAndGet();
            pause(500);
        }

        private void count(ReceivedMessage message) {
            if (message.body().isEmpty() || message.signal().isPresent()) {
                return; // receipts and other signals
            }
            String[] parts = message.body().get().split(":");
            int sequence = Integer.parseInt(parts[1]);
            if (!seen.add(sequence)) {
                duplicates.add(message.body().get());
                return;
            }
            if (sequence <= lastSequence.getAndSet(sequence)) {
                outOfOrder.add(message.body().get());
            }
            long sentAt = Long.parseLong(parts[2]);
            latencies.put(sequence, new long[] {sentAt, System.currentTimeMillis() - sentAt});
            received.incrementAndGet();
        }

        long maxLatencySince(long sinceMillis) {
            return latencies.values().stream().filter(l -> l[0] >= sinceMillis).mapToLong(l -> l[1]).max().orElse(0);
        }

        private void pause(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            log.warn("clean-up failed: {}", e.toString());
        }
    }
}
