// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void aSessionOutlivesARestartWithTheSameKeyAndEndsWhenItExpires(@TempDir Path dir) throws Exception {
        ManualClock clock = new ManualClock();
        Path keyFile = dir.resolve("app-session.key");
        AppSessions first = AppSessions.persistent(keyFile, clock);
        assertThat(Files.getPosixFilePermissions(keyFile)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        String session = first.trade(first.newSecret()).orElseThrow();
        String cookie = AppSessions.COOKIE + "=" + session;

        AppSessions restarted = AppSessions.persistent(keyFile, clock);
        assertThat(restarted.authorizes(cookie)).as("the same key after a restart").isTrue();
        assertThat(new AppSessions(clock).authorizes(cookie)).as("another key").isFalse();
        String tampered = session.substring(0, 3) + (session.charAt(3) == 'A' ? 'B' : 'A') + session.substring(4);
        assertThat(restarted.authorizes(AppSessions.COOKIE + "=" + tampered)).isFalse();
        assertThat(restarted.authorizes(AppSessions.COOKIE + "=no-dot-here")).isFalse();
        assertThat(restarted.authorizes(AppSessions.COOKIE + "=%%%.%%%")).isFalse();

        clock.now = clock.now.plus(AppSessions.SESSION_LIFETIME).plus(Duration.ofSeconds(1));
        assertThat(restarted.authorizes(cookie)).as("expired").isFalse();
    }

    @Test
    void aKeyFileThatIsNoKeyIsRefused(@TempDir Path dir) throws Exception {
        Path keyFile = Files.writeString(dir.resolve("app-session.key"), "garbage");
        assertThatThrownBy(() -> AppSessions.persistent(keyFile, Clock.systemUTC()))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("delete it");
    }
}
