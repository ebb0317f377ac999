// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.relay.FaultyStorage;
import org.svyaz.bench.relay.InProcessServers;
import org.svyaz.bench.relay.ReportFormat;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * Scenario (e) against a real server in this JVM: real libsignal group messages, split by the
 * server into one copy per member, balance to the copy; a server that silently drops or doubles
 * stored copies is caught, to the copy.
 */
class FanoutBenchmarkIT {
    private static final int MEMBERS = 20;
    private static final int MESSAGES = 30;
    private static final int COPIES = MESSAGES * (MEMBERS - 1);

    @TempDir
    Path data;

    private static FanoutReport run(SvyazServer server, int senders, Duration drainTimeout) throws Exception {
        FanoutOptions options = new FanoutOptions(MEMBERS, senders, MESSAGES, 200, 4, drainTimeout, 11);
        try (SvyazSystem system = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()), true)) {
            return new FanoutBenchmark(system, options, line -> {}).run();
        }
    }

    @Test
    void everyGroupMessageReachesEveryOtherMemberExactlyOnce() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            FanoutReport report = run(server, 1, Duration.ofSeconds(30));

            assertThat(report.ledger()).isEqualTo(new FanoutLedger.Summary(MESSAGES, MESSAGES, 0, 0, COPIES, COPIES,
                    0, 0, 0, 0, 0, MESSAGES));
            assertThat(report.copyLatency().count()).isEqualTo(COPIES);
            assertThat(report.completionLatency().count()).isEqualTo(MESSAGES);
            assertThat(report.completionLatency().p50()).isGreaterThanOrEqualTo(report.copyLatency().p50());
            // A small run opens every copy with the receiving member's keys.
            assertThat(report.verification()).extracting(FanoutReport.Verification::copies,
                    FanoutReport.Verification::opened, FanoutReport.Verification::failed)
                    .containsExactly((long) COPIES, (long) COPIES, 0L);
            assertThat(report.encryption().messages()).isEqualTo(MESSAGES);
            assertThat(report.encryption().recipientDevices()).isEqualTo(MEMBERS - 1);
            assertThat(report.deliveriesPerSecond()).isPositive();
            assertThat(report.rejections()).isEmpty();
            assertThat(report.notes()).isEmpty();
            assertThat(report.serverUsage()).isNull(); // in-process: it would include the load tool
            assertThat(ReportFormat.json(report)).contains("\"scenario\":\"fanout\"", "\"lost\":0",
                    "\"delivered\":" + COPIES);
            assertThat(ReportFormat.table(report)).contains("copies lost (accepted, never came) 0");
        }
    }

    @Test
    void severalSendersEachReachEveryoneButThemselves() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            FanoutReport report = run(server, 3, Duration.ofSeconds(30));

            assertThat(report.ledger().delivered()).isEqualTo(COPIES);
            assertThat(report.ledger().misrouted()).isZero();
            assertThat(report.ledger().complete()).isEqualTo(MESSAGES);
            assertThat(report.verification().failed()).isZero();
            assertThat(report.verification().opened()).isEqualTo(COPIES);
        }
    }

    @Test
    void copiesTheServerStoresButNeverDeliversAreCountedLost() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DROP, 13);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            FanoutReport report = run(server, 1, Duration.ofSeconds(3));

            long dropped = storage.faults();
            assertThat(dropped).isEqualTo(COPIES / 13);
            assertThat(report.ledger().accepted()).isEqualTo(MESSAGES);
            assertThat(report.ledger().lost()).isEqualTo(dropped);
            assertThat(report.ledger().delivered()).isEqualTo(COPIES - dropped);
            assertThat(report.ledger().duplicates()).isZero();
            assertThat(report.ledger().complete()).isLessThan(MESSAGES);
            assertThat(report.notes()).anyMatch(note -> note.contains("drain timeout"));
        }
    }

    @Test
    void copiesTheServerDeliversTwiceAreCountedAsDuplicates() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DUPLICATE, 17);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            FanoutReport report = run(server, 1, Duration.ofSeconds(30));

            long doubled = storage.faults();
            assertThat(doubled).isEqualTo(COPIES / 17);
            assertThat(report.ledger().duplicates()).isEqualTo(doubled);
            assertThat(report.ledger().delivered()).isEqualTo(COPIES);
            assertThat(report.ledger().lost()).isZero();
            assertThat(report.copyLatency().count()).isEqualTo(COPIES); // duplicates are not timed again
        }
    }

    @Test
    void copiesHandedToTheWrongMemberAreCountedDeliveredButDoNotOpen() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.SWAP, 19);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            FanoutReport report = run(server, 1, Duration.ofSeconds(30));

            long swappedPairs = storage.faults();
            assertThat(swappedPairs).isPositive();
            // The shared bytes name the message, so each member still counts one copy of it...
            assertThat(report.ledger().delivered()).isEqualTo(COPIES);
            assertThat(report.ledger().lost()).isZero();
            // ...but a copy sealed for another member does not open with this member's keys.
            assertThat(report.verification().failed()).isEqualTo(2 * swappedPairs);
            assertThat(report.verification().opened()).isEqualTo(COPIES - 2 * swappedPairs);
            assertThat(report.notes()).anyMatch(note -> note.contains("did not open"));
        }
    }
}
