// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.limits.RateLimiter;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.RemoteDevices;

/**
 * What ties this node to the others: the rate limiters and, in a cluster, presence and
 * wake-ups. A single server limits on its own and has nobody to wake; a cluster node shares both
 * through Redis ({@link RedisPresence}, {@link RedisRateLimiter}).
 */
public final class NodeLinks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLinks.class);

    private final RateLimiter sends;
    private final RateLimiter sealedSends;
    private final RateLimiter preKeyFetches;
    private final RateLimiter usernameLookups;
    private final Optional<RedisConnector> redis;
    private final Optional<RedisPresence> presence;
    private final String redisPrefix;
    private final Clock clock;

    private NodeLinks(RateLimiter sends, RateLimiter sealedSends, RateLimiter preKeyFetches,
                      RateLimiter usernameLookups, Optional<RedisConnector> redis, Optional<RedisPresence> presence,
                      String redisPrefix, Clock clock) {
        this.sends = sends;
        this.sealedSends = sealedSends;
        this.preKeyFetches = preKeyFetches;
        this.usernameLookups = usernameLookups;
        this.redis = redis;
        this.presence = presence;
        this.redisPrefix = redisPrefix;
        this.clock = clock;
    }

    /**
     * Links for one server, or for a cluster node when {@code settings} name a Redis; then wake-ups
     * for the node's {@code devices} come from there, and {@link #remoteDevices()} announces them.
     */
    public static NodeLinks open(Optional<RedisSettings> settings, ConnectedDevices devices, int burst,
                                 double perSecond, Clock clock) throws RedisUnavailableException {
        if (settings.isEmpty()) {
            return new NodeLinks(new LocalRateLimiter(burst, perSecond, clock),
                    new LocalRateLimiter(burst, perSecond, clock), local(RateLimit.PREKEY_FETCHES, clock),
                    local(RateLimit.USERNAME_LOOKUPS, clock), Optional.empty(), Optional.empty(), "", clock);
        }
        RedisSettings redis = settings.get();
        RedisConnector connector;
        try {
            connector = RedisConnector.connect(redis.uris(), redis.cluster());
        } catch (RuntimeException e) {
            throw new RedisUnavailableException("Redis does not answer at " + redis.uris().size()
                    + " configured address(es) (" + e.getClass().getSimpleName() + ")", e);
        }
        try {
            RedisPresence presence = new RedisPresence(connector, devices, redis.prefix());
            RateLimiter sends = new RedisRateLimiter(connector, redis.prefix(), "send", burst, perSecond,
                    new LocalRateLimiter(burst, perSecond, clock));
            RateLimiter sealed = new RedisRateLimiter(connector, redis.prefix(), "sealed", burst, perSecond,
                    new LocalRateLimiter(burst, perSecond, clock));
            log.info("cluster node: presence and rate limits in Redis ({})", redis.cluster() ? "Redis Cluster" : "standalone");
            return new NodeLinks(sends, sealed, shared(connector, redis.prefix(), RateLimit.PREKEY_FETCHES, clock),
                    shared(connector, redis.prefix(), RateLimit.USERNAME_LOOKUPS, clock), Optional.of(connector),
                    Optional.of(presence), redis.prefix(), clock);
        } catch (RuntimeException e) {
            connector.close();
            throw new RedisUnavailableException("Redis does not answer at " + redis.uris().size()
                    + " configured address(es) (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static LocalRateLimiter local(RateLimit limit, Clock clock) {
        return new LocalRateLimiter(limit.burst(), limit.perSecond(), clock);
    }

    private static RateLimiter shared(RedisConnector connector, String prefix, RateLimit limit, Clock clock) {
        return new RedisRateLimiter(connector, prefix, limit.name(), limit.burst(), limit.perSecond(),
                local(limit, clock));
    }

    /** How this node reaches devices connected to the others: through Redis, or nowhere for one server. */
    public RemoteDevices remoteDevices() {
        return presence.<RemoteDevices>map(p -> p).orElse(RemoteDevices.NONE);
    }

    /** Identified sends, per account. */
    public RateLimiter sends() {
        return sends;
    }

    /** Sealed sends, per (connection, recipient): see {@code MessageService.sendSealed}. */
    public RateLimiter sealedSends() {
        return sealedSends;
    }

    /** Prekey bundle fetches, per (requesting account, target account): {@link RateLimit#PREKEY_FETCHES}. */
    public RateLimiter preKeyFetches() {
        return preKeyFetches;
    }

    /** Username lookups, per account: {@link RateLimit#USERNAME_LOOKUPS}. */
    public RateLimiter usernameLookups() {
        return usernameLookups;
    }

    /** A limiter of {@code limit}'s kind: shared with the other nodes through Redis in a cluster, else this node's own. */
    public RateLimiter limiter(RateLimit limit) {
        return redis.isPresent() ? shared(redis.get(), redisPrefix, limit, clock) : local(limit, clock);
    }

    /** Unregisters this node's devices from Redis, then disconnects; nothing to do for one server. */
    @Override
    public void close() {
        presence.ifPresent(RedisPresence::close);
        redis.ifPresent(RedisConnector::close);
    }
}
