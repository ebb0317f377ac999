// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.server.SvyazServer;

/** A device's mailbox is bounded: an offline recipient cannot be flooded without limit. */
class MailboxLimitIT {
    @TempDir
    Path temp;

    @Test
    void fullMailboxRefusesFurtherSendsUntilTheRecipientDrainsIt() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                .withMailbox(3, Duration.ofDays(1)));
             SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.93", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.94", Clock.systemUTC())) {
            for (int i = 1; i <= 3; i++) {
                alice.send("bob.94", "m" + i);
            }
            assertThatThrownBy(() -> alice.send("bob.94", "m4"))
                    .isInstanceOf(RateLimitedException.class)
                    .hasMessageContaining("mailbox is full");

            assertThat(MessagingIT.receiveAll(bob, 3)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("m1", "m2", "m3");
            // Acks are deleted asynchronously; once they are, there is room again.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> alice.send("bob.94", "m4"));
            assertThat(MessagingIT.receiveAll(bob, 1)).extracting(m -> m.body().orElseThrow()).containsExactly("m4");
        }
    }
}
