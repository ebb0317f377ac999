// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.server.SvyazServer;

/**
 * Scenario (d) against a real server in this JVM: after the cut, what waited arrives exactly once
 * on the new connections although the server had pushed part of it into the old ones; failed
 * logins are retried with back-off; devices that never get back count as gave up and their
 * messages as lost.
 */
class StormBenchmarkIT {
    private static final int DEVICES = 12;
    private static final int MESSAGES = 600;

    @TempDir
    Path data;

    private static StormOptions options(Duration timeout) {
        return new StormOptions(DEVICES, 3, MESSAGES, 256, 8, DEVICES, timeout, 7);
    }

    @Test
    void everythingThatWaitedArrivesOnceAfterEveryDeviceReconnectsAtOnce() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data));
             SvyazSystem svyaz = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            CountingLogins system = new CountingLogins(svyaz, 0);
            StormReport report = new StormBenchmark(system, options(Duration.ofSeconds(60)), line -> {}).run();

            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                    0, 0, 0, 0, 0));
            assertThat(report.reconnected()).isEqualTo(DEVICES);
            assertThat(report.gaveUp()).isZero();
            assertThat(report.retries()).isZero();
            assertThat(report.drainedSeconds()).isNotNull();
            // Nothing reached a device while it was cut off: the cut is real.
            assertThat(report.notes()).isEmpty();
            // Every device logged in twice: before the cut and in the storm.
            assertThat(system.attempts.values()).hasSize(DEVICES + 3).allMatch(count -> count.get() <= 2);
            assertThat(ReportFormat.table(report)).contains("devices back / gave up", DEVICES + " / 0");
        }
    }

    @Test
    void failedLoginsAreRetriedWithBackOffUntilTheDeviceIsBack() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data));
             SvyazSystem svyaz = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            CountingLogins system = new CountingLogins(svyaz, 2);
            StormReport report = new StormBenchmark(system, options(Duration.ofSeconds(60)), line -> {}).run();

            assertThat(report.retries()).isEqualTo(2L * DEVICES);
            assertThat(report.notes()).containsExactly((2 * DEVICES) + " failed login(s): the server is overrun");
            assertThat(report.reconnected()).isEqualTo(DEVICES);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES);
            assertThat(report.ledger().lost()).isZero();
        }
    }

    @Test
    void devicesThatNeverGetBackCountAsGaveUpAndTheirMessagesAsLost() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data));
             SvyazSystem svyaz = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            CountingLogins system = new CountingLogins(svyaz, Integer.MAX_VALUE);
            StormReport report = new StormBenchmark(system, options(Duration.ofSeconds(2)), line -> {}).run();

            assertThat(report.reconnected()).isZero();
            assertThat(report.gaveUp()).isEqualTo(DEVICES);
            assertThat(report.ledger().lost()).isEqualTo(MESSAGES);
            assertThat(report.drainedSeconds()).isNull();
            assertThat(report.notes()).anyMatch(note -> note.contains("counted lost"))
                    .anyMatch(note -> note.matches("\\d+ failed login\\(s\\): the server is overrun"));
        }
    }

    /**
     * Svyaz, counting each user's logins; in the storm (a device's second login on) the first
     * {@code failingStormAttempts} attempts of every device fail, as when the server is overrun.
     */
    private static final class CountingLogins extends WrappedSystem {
        private final int failingStormAttempts;
        final ConcurrentHashMap<Integer, AtomicInteger> attempts = new ConcurrentHashMap<>();

        CountingLogins(MessagingSystem system, int failingStormAttempts) {
            super(system);
            this.failingStormAttempts = failingStormAttempts;
        }

        @Override
        public UserSession logIn(int user, Inbox inbox) throws BenchException {
            int attempt = attempts.computeIfAbsent(user, u -> new AtomicInteger()).incrementAndGet();
            if (attempt >= 2 && attempt - 2 < failingStormAttempts) {
                throw new BenchException("the server is overrun", null);
            }
            return system().logIn(user, inbox);
        }
    }
}
