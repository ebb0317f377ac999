// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    /** A clock the test moves by hand, so refill is checked without sleeping. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2025-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the limiter only reads millis");
        }
    }

    private final ManualClock clock = new ManualClock();
    private final UUID account = UUID.randomUUID();

    @Test
    void allowsTheBurstAndThenRefuses() {
        RateLimiter limiter = new LocalRateLimiter(3, 2.0, clock);

        assertThat(limiter.tryAcquire(account)).isTrue();
        assertThat(limiter.tryAcquire(account)).isTrue();
        assertThat(limiter.tryAcquire(account)).isTrue();
        assertThat(limiter.tryAcquire(account)).isFalse();
        assertThat(limiter.tryAcquire(account)).isFalse();
    }

    @Test
    void eachPairOfKeysHasItsOwnBucket() {
        RateLimiter limiter = new LocalRateLimiter(1, 0.001, clock);
        UUID requester = UUID.randomUUID();
        UUID target = UUID.randomUUID();

        assertThat(limiter.tryAcquire(RateLimiter.pairKey(requester, target))).isTrue();
        assertThat(limiter.tryAcquire(RateLimiter.pairKey(requester, target))).isFalse();
        assertThat(limiter.tryAcquire(RateLimiter.pairKey(target, requester))).as("the order counts").isTrue();
        assertThat(limiter.tryAcquire(RateLimiter.pairKey(requester, UUID.randomUUID()))).isTrue();
        assertThat(limiter.tryAcquire(requester)).as("and a pair is not either of its keys").isTrue();
    }

    @Test
    void refillsAtTheConfiguredRate() {
        RateLimiter limiter = new LocalRateLimiter(3, 2.0, clock);
        drain(limiter, account, 3);

        // 2 per second: 400 ms give 0.8 of a token, not enough; 200 ms more make it 1.2.
        clock.advance(Duration.ofMillis(400));
        assertThat(limiter.tryAcquire(account)).isFalse();
        clock.advance(Duration.ofMillis(200));
        assertThat(limiter.tryAcquire(account)).as("the refused attempt must not have cost the partial token")
                .isTrue();
        assertThat(limiter.tryAcquire(account)).isFalse();

        // 0.2 left over; one more second adds 2.
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire(account)).isTrue();
        assertThat(limiter.tryAcquire(account)).isTrue();
        assertThat(limiter.tryAcquire(account)).isFalse();
    }

    @Test
    void refillStopsAtTheBurst() {
        RateLimiter limiter = new LocalRateLimiter(3, 2.0, clock);
        drain(limiter, account, 3);

        clock.advance(Duration.ofHours(1));

        drain(limiter, account, 3);
        assertThat(limiter.tryAcquire(account)).isFalse();
    }

    @Test
    void accountsHaveSeparateBuckets() {
        RateLimiter limiter = new LocalRateLimiter(2, 1.0, clock);
        UUID other = UUID.randomUUID();
        drain(limiter, account, 2);
        assertThat(limiter.tryAcquire(account)).isFalse();

        drain(limiter, other, 2);

        assertThat(limiter.tryAcquire(other)).isFalse();
        assertThat(limiter.tryAcquire(account)).isFalse();
    }

    @Test
    void aClockSteppingBackGrantsNothing() {
        RateLimiter limiter = new LocalRateLimiter(1, 1.0, clock);
        drain(limiter, account, 1);

        clock.advance(Duration.ofHours(-1));

        assertThat(limiter.tryAcquire(account)).isFalse();
    }

    @Test
    void secondsUntilNextTokenIsRoundedUpAndAtLeastOne() {
        assertThat(new LocalRateLimiter(1, 0.5, clock).secondsUntilNextToken()).isEqualTo(2);
        assertThat(new LocalRateLimiter(1, 0.3, clock).secondsUntilNextToken()).isEqualTo(4);
        assertThat(new LocalRateLimiter(1, 10, clock).secondsUntilNextToken()).isEqualTo(1);
    }

    @Test
    void rejectsAnUnusableConfiguration() {
        assertThatThrownBy(() -> new LocalRateLimiter(0, 1.0, clock)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LocalRateLimiter(1, 0, clock)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void drain(RateLimiter limiter, UUID key, int tokens) {
        for (int i = 0; i < tokens; i++) {
            assertThat(limiter.tryAcquire(key)).as("token %d of %d", i + 1, tokens).isTrue();
        }
    }
}
