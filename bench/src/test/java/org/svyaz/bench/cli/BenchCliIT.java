// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code svyaz bench relay} as a process: option combinations that cannot work are refused with a
 * sentence that says why, before any server is started or contacted.
 */
class BenchCliIT {
    @Test
    void endToEndEncryptionIsRefusedWithPeersThatCarryTheBytesAsTheyAre() throws Exception {
        for (String peer : new String[] {"--mqtt", "--xmpp"}) {
            Cli.Result result = Cli.run("bench", "relay", "--e2e", peer, "127.0.0.1:1", "--ca", "peer.pem",
                    "--users", "2", "--messages", "2");

            assertThat(result.exitCode()).as(peer).isEqualTo(ExitCodes.USER_ERROR);
            assertThat(result.err()).as(peer).contains("--e2e goes with --spawn or --server");
            assertThat(result.out()).as(peer).isEmpty();
        }
    }

    @Test
    void endToEndEncryptionRefusesMessagesTooLargeOnceEncrypted() throws Exception {
        Cli.Result result = Cli.run("bench", "relay", "--e2e", "--spawn", "--size", "260000", "--users", "2",
                "--messages", "2");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(result.err()).contains("With --e2e, --size must be at most 258048 bytes");
        assertThat(result.err()).doesNotContain("spawned");
    }

    @Test
    void theDaemonScenarioRefusesPeersAndBadWindowsBeforeAnythingStarts() throws Exception {
        Cli.Result peer = Cli.run("bench", "daemon", "--mqtt", "127.0.0.1:1", "--ca", "peer.pem");
        Cli.Result window = Cli.run("bench", "daemon", "--spawn", "--window", "0");

        assertThat(peer.exitCode()).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(peer.err()).contains("The daemon scenario runs against Svyaz only");
        assertThat(window.exitCode()).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(window.err()).contains("--window must be between 1 and 4096").doesNotContain("spawned");
    }

    @Test
    void aNegativeRateIsRefusedBeforeAnythingStarts() throws Exception {
        Cli.Result result = Cli.run("bench", "relay", "--spawn", "--rate", "-5", "--users", "2", "--messages", "2");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(result.err()).contains("--rate must be a positive number of messages per second");
        assertThat(result.err()).doesNotContain("spawned");
    }

    @Test
    void anOpenLoopRunOffersTheRateAndCountsEveryMessage() throws Exception {
        Cli.Result result = Cli.run("bench", "relay", "--spawn", "--rate", "200", "--users", "4", "--messages", "60");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).containsPattern("offered load +200 msgs/s on a fixed schedule")
                .containsPattern("delivered \\(distinct\\) +60")
                .containsPattern("lost \\(accepted, never delivered\\) +0")
                .containsPattern("duplicates +0");
    }
}
