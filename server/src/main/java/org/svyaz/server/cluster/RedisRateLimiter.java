// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import io.lettuce.core.ScriptOutputType;
import java.util.UUID;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.limits.RateLimiter;

/**
 * A token bucket per key shared by every node through Redis, so a sender spreading its requests
 * over nodes gets the same limit as on one. The bucket is updated by one script, atomically, with
 * Redis's own clock (nodes' clocks may differ). While Redis is unreachable each node limits on its
 * own ({@link LocalRateLimiter}): limits stay, only less strict.
 */
public final class RedisRateLimiter implements RateLimiter {
    private static final String TAKE_TOKEN = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local burst = tonumber(ARGV[1])
            local perMilli = tonumber(ARGV[2])
            local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
            local tokens = tonumber(state[1]) or burst
            local at = tonumber(state[2]) or now
            tokens = math.min(burst, tokens + math.max(0, now - at) * perMilli)
            local permits = tonumber(ARGV[4])
            local allowed = 0
            if tokens >= permits then
              tokens = tokens - permits
              allowed = 1
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return allowed
            """;

    private final RedisConnector redis;
    private final String keyPrefix;
    private final long burst;
    private final double perMilli;
    private final long idleExpiryMillis;
    private final LocalRateLimiter fallback;

    /** {@code name} tells this limiter's buckets from others' (e.g. "send", "sealed"). */
    public RedisRateLimiter(RedisConnector redis, String prefix, String name, long burst, double perSecond,
                            LocalRateLimiter fallback) {
        this.redis = redis;
        this.keyPrefix = prefix + "rate:" + name + ":";
        this.burst = burst;
        this.perMilli = perSecond / 1000.0;
        // A bucket untouched long enough to refill completely is the same as no bucket.
        this.idleExpiryMillis = (long) Math.ceil(burst / perMilli) + 1000;
        this.fallback = fallback;
    }

    @Override
    public boolean tryAcquire(UUID key, long permits) {
        try {
            Long allowed = redis.commands().eval(TAKE_TOKEN, ScriptOutputType.INTEGER, new String[] {keyPrefix + key},
                    Long.toString(burst), Double.toString(perMilli), Long.toString(idleExpiryMillis),
                    Long.toString(permits));
            return allowed != null && allowed == 1L;
        } catch (RuntimeException e) {
            return fallback.tryAcquire(key, permits);
        }
    }

    @Override
    public long secondsUntilNextToken() {
        return fallback.secondsUntilNextToken();
    }
}
