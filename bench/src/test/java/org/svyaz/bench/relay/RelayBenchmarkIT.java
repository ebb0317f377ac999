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

/**
 * The load tool's own accounting against a real server in this JVM: a healthy server balances to
 * the message, and a server that silently drops or doubles messages is caught, to the message.
 */
class RelayBenchmarkIT {
    private static final int USERS = 10;
    private static final int MESSAGES = 200;

    @TempDir
    Path data;


    private static RelayReport run(SvyazServer server, Duration drainTimeout) throws Exception {
        RelayOptions options = new RelayOptions(USERS, MESSAGES, 256, 4, drainTimeout, 42);
        try (SvyazSystem system = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            return new RelayBenchmark(system, options, line -> {}).run();
        }
    }

    @Test
    void aHealthyServerDeliversExactlyWhatWasSentOnce() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            RelayReport report = run(server, Duration.ofSeconds(30));

            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                    0, 0, 0, 0, 0));
            assertThat(report.latency().count()).isEqualTo(MESSAGES);
            assertThat(report.latency().p50()).isPositive();
            assertThat(report.deliveredPerSecond()).isPositive();
            assertThat(report.rejections()).isEmpty();
            assertThat(report.notes()).isEmpty();
            // In-process: the server's CPU and memory would include the load tool's.
            assertThat(report.serverUsage()).isNull();
            assertThat(ReportFormat.json(report)).contains("\"delivered\":" + MESSAGES, "\"lost\":0");
            assertThat(ReportFormat.table(report)).contains("lost (accepted, never delivered)   0");
        }
    }

    @Test
    void messagesTheServerAcceptsButNeverDeliversAreCountedLost() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DROP, 7);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            RelayReport report = run(server, Duration.ofSeconds(3));

            long dropped = storage.faults();
            assertThat(dropped).isEqualTo(MESSAGES / 7);
            assertThat(report.ledger().accepted()).isEqualTo(MESSAGES);
            assertThat(report.ledger().lost()).isEqualTo(dropped);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES - dropped);
            assertThat(report.ledger().duplicates()).isZero();
            assertThat(report.notes()).anyMatch(note -> note.contains("drain timeout"));
        }
    }

    @Test
    void messagesTheServerDeliversTwiceAreCountedAsDuplicates() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DUPLICATE, 9);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            RelayReport report = run(server, Duration.ofSeconds(30));

            long doubled = storage.faults();
            assertThat(doubled).isEqualTo(MESSAGES / 9);
            assertThat(report.ledger().duplicates()).isEqualTo(doubled);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES);
            assertThat(report.ledger().lost()).isZero();
            assertThat(report.latency().count()).isEqualTo(MESSAGES); // duplicates are not timed again
        }
    }
}
