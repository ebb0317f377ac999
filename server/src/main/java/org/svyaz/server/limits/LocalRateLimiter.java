// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.limits;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket per account: {@code burst} actions at once, refilled at {@code perSecond}.
 * In memory on this node; {@code cluster.RedisRateLimiter} shares the buckets between the nodes of a cluster.
 */
public final class LocalRateLimiter implements RateLimiter {
    /**
     * Every this many calls, buckets that have refilled completely are dropped (one is the same as
     * none). Keys per pair of accounts (prekey fetches) would otherwise pile up for as long as the
     * node runs.
     */
    private static final int SWEEP_EVERY = 4096;

    private final double burst;
    private final double perMilli;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();

    private static final class Bucket {
        double tokens;
        long updatedAtMillis;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedAtMillis = now;
        }
    }

    public LocalRateLimiter(long burst, double perSecond, Clock clock) {
        if (burst < 1 || perSecond <= 0) {
            throw new IllegalArgumentException("a rate limit needs burst >= 1 and a positive rate");
        }
        this.burst = burst;
        this.perMilli = perSecond / 1000.0;
        this.clock = clock;
    }

    @Override
    public boolean tryAcquire(UUID key, long permits) {
        long now = clock.millis();
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            dropFullBuckets(now);
        }
        boolean[] allowed = new boolean[1];
        buckets.compute(key, (k, bucket) -> {
            Bucket b = bucket == null ? new Bucket(burst, now) : bucket;
            b.tokens = Math.min(burst, b.tokens + Math.max(0, now - b.updatedAtMillis) * perMilli);
            b.updatedAtMillis = now;
            if (b.tokens >= permits) {
                b.tokens -= permits;
                allowed[0] = true;
            }
            return b;
        });
        return allowed[0];
    }

    private void dropFullBuckets(long now) {
        for (UUID key : buckets.keySet()) {
            buckets.computeIfPresent(key, (k, b) ->
                    b.tokens + Math.max(0, now - b.updatedAtMillis) * perMilli >= burst ? null : b);
        }
    }

    @Override
    public long secondsUntilNextToken() {
        return Math.max(1, (long) Math.ceil(1 / (perMilli * 1000)));
    }
}
