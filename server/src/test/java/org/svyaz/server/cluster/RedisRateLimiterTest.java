// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.limits.LocalRateLimiter;

/** Rate limits shared by the nodes through Redis, and kept (per node) while Redis is down. */
class RedisRateLimiterTest {
    @TempDir
    Path temp;

    @Test
    void nodesShareOneBucketPerAccountAndFallBackToTheirOwnWithoutRedis() throws Exception {
        String prefix = "svyaz-test-" + UUID.randomUUID() + ":";
        try (RedisProcess redis = RedisProcess.start(temp);
             RedisConnector nodeA = RedisConnector.connect(List.of(redis.uri()), false);
             RedisConnector nodeB = RedisConnector.connect(List.of(redis.uri()), false)) {
            // 3 at once, then one every 1000 s: no refill during the test.
            RedisRateLimiter limitA = new RedisRateLimiter(nodeA, prefix, "send", 3, 0.001,
                    new LocalRateLimiter(3, 0.001, Clock.systemUTC()));
            RedisRateLimiter limitB = new RedisRateLimiter(nodeB, prefix, "send", 3, 0.001,
                    new LocalRateLimiter(3, 0.001, Clock.systemUTC()));
            UUID sender = UUID.randomUUID();
            UUID other = UUID.randomUUID();
            assertThat(List.of(limitA.tryAcquire(sender), limitB.tryAcquire(sender), limitA.tryAcquire(sender),
                    limitB.tryAcquire(sender), limitA.tryAcquire(sender))).containsExactly(true, true, true, false, false);
            assertThat(limitB.tryAcquire(other)).as("buckets are per account").isTrue();
            RedisRateLimiter otherLimit = new RedisRateLimiter(nodeA, prefix, "sealed", 3, 0.001,
                    new LocalRateLimiter(3, 0.001, Clock.systemUTC()));
            assertThat(otherLimit.tryAcquire(sender)).as("and per limiter").isTrue();
            assertThat(nodeA.commands().pttl(prefix + "rate:send:" + sender)).as("idle buckets expire").isPositive();

            redis.kill();
            // Each node limits on its own now: 3 each, not unlimited.
            int allowedOnA = 0;
            for (int i = 0; i < 10; i++) {
                allowedOnA += limitA.tryAcquire(sender) ? 1 : 0;
            }
            assertThat(allowedOnA).isEqualTo(3);
        }
    }
}
