// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.MessagingIT.receiveAll;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.IdentityInfo;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.UntrustedIdentityError;
import org.svyaz.server.SvyazServer;

/** A contact's identity key changes: sending is refused until accepted, received messages are flagged. */
class IdentityChangeIT {
    /** Sends at once, as a daemon makes them for the app (a timer change and a message, say). */
    private static final int RACING_SENDS = 8;
    private static final int ROUNDS = 5;

    @TempDir
    Path temp;

    /**
     * Several sends at once meet a contact's new key: each must say the key changed. One of them
     * drops the old sessions on the server's word; another that had just seen them there once
     * encrypted for no device, and the server refused the empty send as malformed.
     */
    @Test
    void sendsRacingIntoAKeyChangeAllSayTheKeyChanged() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.53", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.54", Clock.systemUTC())) {
            ExecutorService pool = Executors.newFixedThreadPool(RACING_SENDS);
            try {
                for (int round = 0; round < ROUNDS; round++) {
                    alice.send("bob.54", "sessions with the key of round " + round);
                    bob.resetIdentity();
                    CyclicBarrier start = new CyclicBarrier(RACING_SENDS);
                    List<Future<?>> sends = new ArrayList<>();
                    for (int i = 0; i < RACING_SENDS; i++) {
                        String text = "racing " + round + "." + i;
                        sends.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            return alice.send("bob.54", text);
                        }));
                    }
                    for (Future<?> send : sends) {
                        assertThatThrownBy(() -> send.get(60, TimeUnit.SECONDS)).as("round %d", round)
                                .isInstanceOf(ExecutionException.class)
                                .cause().isInstanceOf(UntrustedIdentityError.class);
                    }
                    alice.trustAccept("bob.54");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void changedIdentityIsDetectedFlaggedAndMustBeAccepted() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.51", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.52", Clock.systemUTC())) {
            alice.send("bob.52", "before");
            assertThat(receiveAll(bob, 1)).hasSize(1);
            bob.send("alice.51", "ack");
            assertThat(receiveAll(alice, 1)).hasSize(1);

            IdentityInfo before = alice.identities(Optional.of("bob.52")).getFirst();
            alice.trustVerified("bob.52", before.safetyNumber());
            assertThat(alice.identities(Optional.of("bob.52")).getFirst().trust()).isEqualTo("TRUSTED_VERIFIED");

            // Bob fetches what waits for him (Alice's delivery receipt for his ack) before the reset:
            // anything sent to his old key and fetched after it can no longer be decrypted.
            TestAccounts.receiveUntil(bob, m -> m.signal().isPresent());
            bob.resetIdentity();

            // Alice's old session is stale; the new bundle carries a key she has not accepted.
            assertThatThrownBy(() -> alice.send("bob.52", "are you still you?"))
                    .isInstanceOf(UntrustedIdentityError.class)
                    .hasMessageContaining("trust -a bob.52");
            IdentityInfo after = alice.identities(Optional.of("bob.52")).getFirst();
            assertThat(after.trust()).isEqualTo("UNTRUSTED");
            assertThat(after.safetyNumber()).isNotEqualTo(before.safetyNumber());
            // Still refused on a second try: nothing was accepted implicitly.
            assertThatThrownBy(() -> alice.send("bob.52", "again")).isInstanceOf(UntrustedIdentityError.class);

            // Bob writes first with his new key: Alice gets it, marked untrusted.
            bob.send("alice.51", "new phone, same bob");
            List<ReceivedMessage> flagged = receiveAll(alice, 1);
            assertThat(flagged).hasSize(1);
            assertThat(flagged.getFirst().body()).contains("new phone, same bob");
            assertThat(flagged.getFirst().untrusted()).isTrue();

            // Wrong number is refused; accepting the key lets sending proceed, and Bob reads it.
            assertThatThrownBy(() -> alice.trustVerified("bob.52", before.safetyNumber()))
                    .hasMessageContaining("does not match");
            alice.trustAccept("bob.52");
            assertThat(alice.identities(Optional.of("bob.52")).getFirst().trust()).isEqualTo("TRUSTED_UNVERIFIED");
            // Verifying the new number after comparing it marks the new key verified.
            alice.trustVerified("bob.52", after.safetyNumber());
            assertThat(alice.identities(Optional.of("bob.52")).getFirst().trust()).isEqualTo("TRUSTED_VERIFIED");
            alice.send("bob.52", "welcome back");
            List<ReceivedMessage> atBob = receiveAll(bob, 1);
            assertThat(atBob).extracting(m -> m.body().orElseThrow()).containsExactly("welcome back");
            assertThat(atBob.getFirst().untrusted()).isFalse();
        }
    }
}
