// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.relay.DeliveryLedger;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.svyaz.SvyazSystem;

/** {@code --spawn}: a server in its own process, measured from /proc, and gone afterwards. */
class ServerProcessIT {
    @TempDir
    Path work;

    @Test
    void aSpawnedServerIsMeasuredAndStoppedAfterwards() throws Exception {
        long pid;
        RelayReport report;
        try (ServerProcess process = ServerProcess.spawn(work.resolve("data"), Duration.ofSeconds(60))) {
            pid = process.pid();
            assertThat(ProcessHandle.of(pid)).hasValueSatisfying(handle -> assertThat(handle.isAlive()).isTrue());
            RelayOptions options = new RelayOptions(5, 100, 128, 2, Duration.ofSeconds(30), 7);
            try (SvyazSystem system = new SvyazSystem(new ServerUnderTest(process.link(), OptionalLong.of(pid),
                    "spawned"))) {
                report = new RelayBenchmark(system, options, line -> {}).run();
            }
        }

        assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(100, 100, 0, 0, 100, 0, 0, 0, 0, 0));
        RelayReport.ServerUsage usage = report.serverUsage();
        assertThat(usage).isNotNull();
        assertThat(usage.cpuSeconds()).isPositive();
        assertThat(usage.cpuMicrosPerDelivered()).isPositive();
        assertThat(usage.rssWithConnections()).isGreaterThan(16L * 1024 * 1024); // a JVM with a server in it
        assertThat(usage.peakRss()).isGreaterThanOrEqualTo(usage.rssAfterRun());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void thisProcessCanBeSampled() {
        assertThat(ProcessSample.of(ProcessHandle.current().pid())).hasValueSatisfying(sample -> {
            assertThat(sample.cpuNanos()).isPositive();
            assertThat(sample.rssBytes()).isPositive();
            assertThat(sample.peakRssBytes()).isGreaterThanOrEqualTo(sample.rssBytes());
        });
        assertThat(ProcessSample.of(Long.MAX_VALUE)).isEmpty();
    }
}
