// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AppSessionsTest {
    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.ofEpochSecond(1_000_000);

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aSecretIsTradedOnceForASessionCookie() {
        AppSessions sessions = new AppSessions(Clock.systemUTC());
        String secret = sessions.newSecret();
        Optional<String> session = sessions.trade(secret);
        assertThat(session).isPresent();
        assertThat(sessions.trade(secret)).as("good once").isEmpty();
        assertThat(sessions.authorizes("other=1; " + AppSessions.COOKIE + "=" + session.get())).isTrue();
        assertThat(sessions.authorizes(AppSessions.COOKIE + "=" + secret)).as("a secret is no session").isFalse();
        assertThat(sessions.authorizes(AppSessions.COOKIE + "=")).isFalse();
        assertThat(sessions.authorizes(null)).isFalse();
        assertThat(sessions.trade("")).isEmpty();
    }

    @Test
    void aSecretNotTradedInTimeIsUseless() {
        ManualClock clock = new ManualClock();
        AppSessions sessions = new AppSessions(clock);
        String late = sessions.newSecret();
        String onTime = sessions.newSecret();
        assertThat(sessions.trade(onTime)).isPresent();
        clock.now = clock.now.plus(AppSessions.SECRET_LIFETIME).plus(Duration.ofSeconds(1));
        assertThat(sessions.trade(late)).isEmpty();
    }
}
