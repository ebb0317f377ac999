// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeviceAddress;
import org.svyaz.server.message.RemoteDevices;

/**
 * Presence and wake-ups across the nodes of a cluster, through Redis.
 *
 * <ul>
 *   <li>Each device connected here has a key {@code PREFIX presence:ACCOUNT:DEVICE} naming this node,
 *       which expires unless this node refreshes it, so a dead node's entries vanish.</li>
 *   <li>A node that stored a message for a device connected elsewhere publishes
 *       {@code ACCOUNT:DEVICE} on the holder's channel {@code PREFIX wake:NODE}.</li>
 *   <li>Redis can go away. The node publishes a heartbeat to itself every second; while it does not
 *       come back, every local device looks at its mailbox each second instead, so messages stored by
 *       other nodes still arrive (later, not lost). When Redis answers again the node registers its
 *       devices again and wakes them once.</li>
 *   <li>A wake-up that Redis could not carry (say, while a Redis Cluster master fails over) is tried
 *       again every second for a minute.</li>
 *   <li>Pub/sub keeps nothing for a subscriber that is away: wake-ups published while the
 *       subscription reconnects (its Redis node failed over or restarted, faster than the heartbeat
 *       notices) are gone, and a restarted Redis has forgotten the presence keys. So each time the
 *       subscription is confirmed again, the node registers its devices again and wakes them once.</li>
 * </ul>
 *
 * <p>Redis sees account ids (random UUIDs) and device ids, never content; see PRIVACY.md.
 */
public final class RedisPresence implements RemoteDevices {
    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);
    static final Duration PRESENCE_TTL = Duration.ofSeconds(30);
    private static final Duration REFRESH = Duration.ofSeconds(10);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** Without a heartbeat back for this long, Redis counts as gone. */
    private static final Duration UNHEALTHY_AFTER = Duration.ofSeconds(3);
    /** A subscription silent this long is made anew (its node may be dead for good). */
    private static final Duration RESUBSCRIBE_AFTER = Duration.ofSeconds(6);
    private static final String HEARTBEAT_MESSAGE = "heartbeat";
    /** How long a failed wake-up is retried; longer than a Redis Cluster failover takes. */
    private static final Duration RETRY_FOR = Duration.ofSeconds(60);
    private static final int MAX_RETRIES = 100_000;
    // Deletes the presence key only if it still names this node: the device may have moved on.
    private static final String DELETE_IF_OURS =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    private final RedisConnector redis;
    private final ConnectedDevices local;
    private final String prefix;
    private final String nodeId = UUID.randomUUID().toString();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("svyaz-presence").daemon(true).factory());
    private final AtomicBoolean healthy = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<FailedWake> retries = new ConcurrentLinkedQueue<>();
    private final AtomicInteger droppedWakes = new AtomicInteger();
    private volatile long lastHeartbeatNanos = System.nanoTime();
    private volatile StatefulRedisPubSubConnection<String, String> subscription;

    /** {@code prefix} namespaces every key and channel, so several clusters (or test runs) can share one Redis. */
    public RedisPresence(RedisConnector redis, ConnectedDevices local, String prefix) {
        this.redis = redis;
        this.local = local;
        this.prefix = prefix;
        subscribe();
        timer.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::refreshAll, REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** This node's id in Redis, new at every start. */
    public String nodeId() {
        return nodeId;
    }

    /** Whether wake-ups through Redis work right now (else local devices poll their mailboxes). */
    public boolean healthy() {
        return healthy.get();
    }

    private void subscribe() {
        StatefulRedisPubSubConnection<String, String> connection = redis.connectPubSub();
        AtomicBoolean confirmedBefore = new AtomicBoolean();
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                onMessage(message);
            }

            @Override
            public void subscribed(String channel, long count) {
                // Lettuce subscribes again by itself after a reconnect; what was published meanwhile is lost.
                if (confirmedBefore.getAndSet(true)) {
                    log.info("the Redis subscription came back; devices here look at their mailboxes once");
                    refreshAll();
                    local.wakeAll();
                }
            }
        });
        connection.sync().subscribe(channel(nodeId));
        subscription = connection;
    }

    private void onMessage(String message) {
        if (HEARTBEAT_MESSAGE.equals(message)) {
            lastHeartbeatNanos = System.nanoTime();
            if (healthy.compareAndSet(false, true)) {
                log.info("Redis is reachable again; wake-ups between nodes resume");
                // Redis may have restarted empty, and wake-ups were lost meanwhile.
                refreshAll();
                local.wakeAll();
            }
            return;
        }
        DeviceAddress device = parse(message);
        if (device != null) {
            local.wakeHere(device);
        }
    }

    @Override
    public void connected(DeviceAddress device) {
        try {
            redis.commands().set(key(device), nodeId, SetArgs.Builder.px(PRESENCE_TTL.toMillis()));
        } catch (RuntimeException e) {
            failed(e); // registered again when Redis is back
        }
    }

    @Override
    public void disconnected(DeviceAddress device) {
        try {
            redis.commands().eval(DELETE_IF_OURS, ScriptOutputType.INTEGER, new String[] {key(device)}, nodeId);
        } catch (RuntimeException e) {
            failed(e); // the key expires on its own
        }
    }

    @Override
    public void wake(DeviceAddress device) {
        if (!tryWake(device)) {
            keepForRetry(new FailedWake(device, System.nanoTime()));
        }
    }

    private boolean tryWake(DeviceAddress device) {
        try {
            String holder = redis.commands().get(key(device));
            if (holder != null && !holder.equals(nodeId)) {
                redis.commands().publish(channel(holder), device.accountId() + ":" + device.deviceId());
            }
            return true;
        } catch (RuntimeException e) {
            failed(e);
            return false;
        }
    }

    /**
     * A wake-up Redis could not carry (a master failing over, Redis restarting). The holder may not
     * notice anything is wrong, so the wake-up is tried again each second for a while.
     */
    private record FailedWake(DeviceAddress device, long firstFailedNanos) {}

    private void keepForRetry(FailedWake wake) {
        if (retries.size() < MAX_RETRIES) {
            retries.add(wake);
        } else {
            droppedWakes.incrementAndGet();
        }
    }

    private void retryFailedWakes() {
        int pending = retries.size();
        for (int i = 0; i < pending; i++) {
            FailedWake wake = retries.poll();
            if (wake == null) {
                return;
            }
            if (!tryWake(wake.device())) {
                if (System.nanoTime() - wake.firstFailedNanos() < RETRY_FOR.toNanos()) {
                    keepForRetry(wake);
                } else {
                    droppedWakes.incrementAndGet();
                }
            }
        }
        int dropped = droppedWakes.getAndSet(0);
        if (dropped > 0) {
            log.warn("{} wake-ups could not be passed on through Redis; those devices get their messages on their "
                    + "next wake-up or reconnect", dropped);
        }
    }

    private void heartbeat() {
        retryFailedWakes();
        try {
            if (!healthy.get()) {
                local.wakeAll();
            }
            long silentNanos = System.nanoTime() - lastHeartbeatNanos;
            if (silentNanos > UNHEALTHY_AFTER.toNanos() && healthy.compareAndSet(true, false)) {
                log.warn("Redis does not answer; devices here check their mailboxes every second until it does");
            }
            if (silentNanos > RESUBSCRIBE_AFTER.toNanos()) {
                resubscribe();
            }
            redis.commands().publish(channel(nodeId), HEARTBEAT_MESSAGE);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void resubscribe() {
        StatefulRedisPubSubConnection<String, String> old = subscription;
        try {
            subscribe();
            lastHeartbeatNanos = System.nanoTime() - UNHEALTHY_AFTER.toNanos(); // stay unhealthy until one arrives
            old.closeAsync();
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void refreshAll() {
        try {
            var async = redis.async();
            SetArgs ttl = SetArgs.Builder.px(PRESENCE_TTL.toMillis());
            for (DeviceAddress device : local.addresses()) {
                async.set(key(device), nodeId, ttl);
            }
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private static void failed(RuntimeException e) {
        log.debug("a Redis command failed: {}", e.getClass().getSimpleName());
    }

    private String key(DeviceAddress device) {
        return prefix + "presence:" + device.accountId() + ":" + device.deviceId();
    }

    private String channel(String node) {
        return prefix + "wake:" + node;
    }

    private static DeviceAddress parse(String message) {
        int colon = message.lastIndexOf(':');
        try {
            return new DeviceAddress(UUID.fromString(message.substring(0, colon)),
                    Integer.parseInt(message.substring(colon + 1)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (DeviceAddress device : local.addresses()) {
            disconnected(device);
        }
        subscription.closeAsync();
    }
}
