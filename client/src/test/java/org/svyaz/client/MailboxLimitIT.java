// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.server.SvyazServer;

/**
 * A device's mailbox is bounded: an offline recipient cannot be flooded without limit, and a
 * stranger's flood fills only strangers' share of it, so the recipient's contacts still get through.
 */
class MailboxLimitIT {
    @TempDir
    Path temp;

    @Test
    void fullMailboxRefusesFurtherSendsUntilTheRecipientDrainsIt() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                .withMailbox(3, 3, Duration.ofDays(1))); // the whole mailbox open to strangers: it is the cap tested here
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

    @Test
    void aStrangerFloodingTheMailboxLeavesRoomForTheRecipientsContacts() throws Exception {
        floodAsAStrangerThenWriteAsAContact(false);
    }

    /** Sealed messages from anyone are still a stranger's when they come without Bob's access key. */
    @Test
    void aStrangersSealedFloodToSomeoneOpenToEveryoneLeavesRoomForContactsToo() throws Exception {
        floodAsAStrangerThenWriteAsAContact(true);
    }

    private void floodAsAStrangerThenWriteAsAContact(boolean bobTakesSealedFromAnyone) throws Exception {
        int cap = 6; // strangers may fill half of it by default
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server"))
                .withMailbox(cap, Duration.ofDays(1)));
             SvyazClient carol = SvyazClient.register(temp.resolve("carol"), server.inviteLink(), "carol.97",
                     Clock.systemUTC());
             SvyazClient mallory = SvyazClient.register(temp.resolve("mallory"), server.inviteLink(), "mallory.95",
                     Clock.systemUTC())) {
            Path bobsDirectory;
            try (SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.96",
                    Clock.systemUTC())) {
                bobsDirectory = temp.resolve("bob").resolve(bob.username());
                bob.setUnrestrictedSealedSender(bobTakesSealedFromAnyone);
                // Bob has written to Carol: his message gave her his profile key, so she writes to him
                // sealed, with his access key. (The delivery receipt her receive sends him is a contact's too.)
                bob.send("carol.97", "hi carol");
                receiveUntil(carol, body("hi carol"));
            } // Bob goes offline, so what is sent to him waits in his mailbox.

            // Mallory, whom Bob never wrote to, floods Bob's mailbox until refused (at most cap + 1 tries).
            List<String> flood = new ArrayList<>();
            RateLimitedException refused = null;
            for (int i = 0; i <= cap && refused == null; i++) {
                try {
                    assertThat(mallory.send("bob.96", "flood " + i).sealed()).as("sealed only if Bob takes it from anyone")
                            .isEqualTo(bobTakesSealedFromAnyone);
                    flood.add("flood " + i);
                } catch (RateLimitedException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("the flood was refused").isNotNull();
            assertThat(refused.getMessage()).as("the same answer as for any full mailbox").contains("mailbox is full");

            // Carol still gets through.
            assertThat(carol.send("bob.96", "from carol").sealed()).isTrue();
            assertThat(flood).as("strangers' share: half the mailbox").hasSize(cap / 2);

            try (SvyazClient bob = SvyazClient.open(bobsDirectory, Clock.systemUTC())) {
                List<ReceivedMessage> atBob = receiveUntil(bob, body("from carol"));
                assertThat(atBob).extracting(m -> m.body().orElse(""))
                        .containsAll(flood)
                        .endsWith("from carol");
            }
        }
    }
}
