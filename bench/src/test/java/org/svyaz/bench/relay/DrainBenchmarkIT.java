// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/** Scenario (b) against a real in-process server: what waited offline is counted as it drains. */
class DrainBenchmarkIT {
    private static final int RECIPIENTS = 20;
    private static final int SENDERS = 3;
    private static final int MESSAGES = 400;

    @TempDir
    Path data;


    private static DrainReport run(SvyazServer server, Duration drainTimeout) throws Exception {
        DrainOptions options = new DrainOptions(RECIPIENTS, SENDERS, MESSAGES, 256, 8, 4, drainTimeout, 7);
        try (SvyazSystem system = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            return new DrainBenchmark(system, options, line -> {}).run();
        }
    }

    @Test
    void everythingStoredWhileTheRecipientsWereOfflineArrivesOnceWhenTheyLogIn() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            DrainReport report = run(server, Duration.ofSeconds(30));

            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                    0, 0, 0, 0, 0));
            assertThat(report.notes()).as("nothing may arrive before the recipients log in").isEmpty();
            assertThat(report.drainedPerSecond()).isPositive();
            assertThat(report.storedPerSecond()).isPositive();
            assertThat(report.serverCpuSeconds()).isNull(); // in-process: not measured
            assertThat(ReportFormat.table(report)).contains("delivered (distinct)", "400");
            assertThat(ReportFormat.json(report)).contains("\"scenario\":\"drain\"", "\"lost\":0");
        }
    }

    @Test
    void storedMessagesTheServerNeverHandsBackAreCountedLost() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DROP, 11);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            DrainReport report = run(server, Duration.ofSeconds(3));

            long dropped = storage.faults();
            assertThat(dropped).isEqualTo(MESSAGES / 11);
            assertThat(report.ledger().accepted()).isEqualTo(MESSAGES);
            assertThat(report.ledger().lost()).isEqualTo(dropped);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES - dropped);
            assertThat(report.notes()).anyMatch(note -> note.contains("drain timeout"));
        }
    }
}
