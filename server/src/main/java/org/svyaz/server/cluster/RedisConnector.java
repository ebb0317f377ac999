// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;

/**
 * One connection to Redis, standalone or Redis Cluster, with the same command interface for both.
 *
 * <p>Commands fail within {@link #COMMAND_TIMEOUT} while Redis is unreachable (a standalone Redis
 * rejects them at once): the callers fall back to what works without Redis.
 */
public final class RedisConnector implements AutoCloseable {
    /** Long enough for a loaded Redis on the same network, short enough not to stall a send. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

    private final AutoCloseable client;
    private final AutoCloseable connection;
    private final RedisClusterCommands<String, String> commands;
    private final RedisClusterAsyncCommands<String, String> async;
    private final PubSubFactory pubSub;

    @FunctionalInterface
    private interface PubSubFactory {
        StatefulRedisPubSubConnection<String, String> connect();
    }

    private RedisConnector(AutoCloseable client, AutoCloseable connection, RedisClusterCommands<String, String> commands,
                           RedisClusterAsyncCommands<String, String> async, PubSubFactory pubSub) {
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.async = async;
        this.pubSub = pubSub;
    }

    /**
     * Connects to {@code uris}: one {@code redis://host:port} for a standalone Redis, or several
     * seed nodes of a Redis Cluster when {@code cluster} is set.
     */
    public static RedisConnector connect(List<String> uris, boolean cluster) {
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis address given");
        }
        TimeoutOptions timeouts = TimeoutOptions.enabled(COMMAND_TIMEOUT);
        if (cluster) {
            RedisClusterClient client = RedisClusterClient.create(uris.stream().map(RedisURI::create).toList());
            client.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    // Node connections open lazily, at their first command: rejecting commands while
                    // one connects would fail the first command to every master. They wait instead,
                    // bounded by the command timeout.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .timeoutOptions(timeouts)
                    // A killed master's slots move to its replica; learn that without waiting for errors.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(2))
                            .enableAllAdaptiveRefreshTriggers()
                            .build())
                    .build());
            try {
                StatefulRedisClusterConnection<String, String> connection = client.connect();
                return new RedisConnector(client::shutdown, connection, connection.sync(), connection.async(),
                        client::connectPubSub);
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
        }
        if (uris.size() != 1) {
            throw new IllegalArgumentException("a standalone Redis has one address; list several only for a cluster");
        }
        RedisClient client = RedisClient.create(RedisURI.create(uris.getFirst()));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(timeouts)
                .build());
        try {
            StatefulRedisConnection<String, String> connection = client.connect();
            return new RedisConnector(client::shutdown, connection, connection.sync(), connection.async(),
                    client::connectPubSub);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    /** Blocking commands, each bounded by {@link #COMMAND_TIMEOUT}. */
    public RedisClusterCommands<String, String> commands() {
        return commands;
    }

    /** The same commands without waiting, for pipelining many at once. */
    public RedisClusterAsyncCommands<String, String> async() {
        return async;
    }

    /** A new connection for subscriptions (a subscribed connection can run no other commands). */
    public StatefulRedisPubSubConnection<String, String> connectPubSub() {
        return pubSub.connect();
    }

    @Override
    public void close() {
        try {
            connection.close();
            client.close();
        } catch (Exception e) {
            // Closing a client that lost its server throws; nothing is left to release.
        }
    }
}
