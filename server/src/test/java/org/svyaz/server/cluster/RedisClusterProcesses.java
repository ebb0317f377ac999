// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of the test's own on loopback: three masters, each with one replica, so killing a
 * master hands its slots to its replica after the node timeout.
 */
public final class RedisClusterProcesses implements AutoCloseable {
    /** Short, so a killed master fails over within seconds. */
    static final int NODE_TIMEOUT_MILLIS = 2000;

    private final List<RedisProcess> nodes;

    private RedisClusterProcesses(List<RedisProcess> nodes) {
        this.nodes = nodes;
    }

    public static RedisClusterProcesses start(Path directory) throws Exception {
        List<RedisProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                nodes.add(RedisProcess.startClusterNode(directory.resolve("node-" + i), "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout",
                        Integer.toString(NODE_TIMEOUT_MILLIS),
                        // A replica may take over however long ago it last heard its master.
                        "--cluster-replica-validity-factor", "0"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisProcess node : nodes) {
                create.add("127.0.0.1:" + node.port());
            }
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process process = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("create.log").toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed; see " + directory.resolve("create.log"));
            }
            RedisClusterProcesses cluster = new RedisClusterProcesses(nodes);
            cluster.awaitState("cluster_state:ok", 30);
            cluster.awaitReplicasInSync(30);
            return cluster;
        } catch (Exception | Error e) {
            for (RedisProcess node : nodes) {
                node.close();
            }
            throw e;
        }
    }

    public List<String> uris() {
        return nodes.stream().map(RedisProcess::uri).toList();
    }

    /** A node that is a master now. */
    public RedisProcess aMaster() throws Exception {
        for (RedisProcess node : nodes) {
            if (info(node, "replication").contains("role:master")) {
                return node;
            }
        }
        throw new IllegalStateException("no master in the cluster");
    }

    /** Waits until a surviving node reports {@code line} in CLUSTER INFO. */
    public void awaitState(String line, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (RedisProcess node : nodes) {
                try {
                    if (cli(node, "cluster", "info").contains(line)) {
                        return;
                    }
                } catch (Exception deadNode) {
                    // try the next one
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the Redis Cluster did not reach " + line + " within " + seconds + " s");
    }

    /** Until every replica has copied its master: a replica that never synced does not take over. */
    private void awaitReplicasInSync(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            boolean allUp = true;
            int replicas = 0;
            for (RedisProcess node : nodes) {
                String replication = info(node, "replication");
                if (replication.contains("role:slave")) {
                    replicas++;
                    allUp &= replication.contains("master_link_status:up");
                }
            }
            if (allUp && replicas == nodes.size() / 2) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the Redis Cluster's replicas did not sync within " + seconds + " s");
    }

    private static String info(RedisProcess node, String section) throws Exception {
        return cli(node, "info", section);
    }

    private static String cli(RedisProcess node, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(node.port())));
        args.addAll(List.of(command));
        Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(5, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("redis-cli failed: " + out);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisProcess node : nodes) {
            node.close();
        }
    }
}
