// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server answered is on disk: SIGKILL right after a send returned loses nothing. */
class DurabilityIT {
    @TempDir
    Path temp;

    @Test
    void messageSurvivesSigkillRightAfterTheSendReturned() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.31")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", server.inviteLink(), "--username", "bob.32")
                    .exitCode()).isZero();

            for (int i = 1; i <= 3; i++) {
                Cli.Result sent = Cli.run("-d", alice, "send", "-m", "durable " + i, "bob.32");
                assertThat(sent.exitCode()).as(sent.err()).isZero();
            }
            server.kill();
            server.start();

            Cli.Result received = Cli.run("-d", bob, "receive", "-t", "3");
            assertThat(received.exitCode()).as(received.err()).isZero();
            assertThat(received.out()).contains("Body: durable 1", "Body: durable 2", "Body: durable 3");
            assertThat(received.out().indexOf("durable 1")).isLessThan(received.out().indexOf("durable 2"));
            assertThat(received.out().indexOf("durable 2")).isLessThan(received.out().indexOf("durable 3"));
        }
    }

    @Test
    void sigtermShutsDownGracefullyAndTheDataIsIntact() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.33")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", server.inviteLink(), "--username", "bob.34")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", alice, "send", "-m", "before the restart", "bob.34").exitCode()).isZero();

            int exit = server.terminate();
            // 143 = terminated by SIGTERM after the shutdown hook ran; the JVM reports it that way.
            assertThat(exit).isIn(0, 143);
            assertThat(java.nio.file.Files.readString(temp.resolve("logs").resolve("server-1.err")))
                    .doesNotContain("Exception");

            server.start();
            assertThat(Cli.run("-d", bob, "receive", "-t", "3").out()).contains("Body: before the restart");
        }
    }
}
