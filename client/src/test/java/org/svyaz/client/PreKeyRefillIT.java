// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.limits.RateLimit;

/** One-time prekeys are handed out once each, and a client tops them up when the server runs low. */
class PreKeyRefillIT {
    @TempDir
    Path temp;

    @Test
    void oneTimeKeysAreUniqueAndRefilledWhenLow() throws Exception {
        // The server limits bundle fetches per (requester, target); its clock moves on an hour
        // whenever Alice's burst is spent, so one requester can take the 35 keys this test needs.
        MovableClock serverClock = new MovableClock();
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withClock(serverClock));
             SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.91", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.92", Clock.systemUTC())) {
            int initial = bob.serverKeyCounts().getPreKeys();
            assertThat(initial).isEqualTo(PreKeyGenerator.BATCH);

            Set<Integer> handedOut = new HashSet<>();
            try (ServerConnection raw = ServerConnection.connect(server.inviteLink(),
                    Optional.of(TestAccounts.credentials(temp.resolve("alice").resolve(alice.username()))),
                    push -> Response.getDefaultInstance(), Duration.ofSeconds(10))) {
                for (int i = 0; i < 35; i++) {
                    if (i > 0 && i % RateLimit.PREKEY_FETCHES.burst() == 0) {
                        serverClock.advance(Duration.ofHours(1));
                    }
                    Response response = raw.call(ApiPaths.KEYS_BUNDLE, PreKeyBundleRequest.newBuilder()
                            .setAccountId(Uuids.toByteString(bob.accountId())).build(), Duration.ofSeconds(10));
                    assertThat(response.getError()).isEqualTo(ErrorCode.OK);
                    PreKeyBundleResponse bundle = PreKeyBundleResponse.parseFrom(response.getBody());
                    assertThat(bundle.getDevices(0).hasPreKey()).isTrue();
                    assertThat(handedOut.add(bundle.getDevices(0).getPreKey().getId()))
                            .as("one-time prekey handed out twice").isTrue();
                }
            }
            assertThat(bob.serverKeyCounts().getPreKeys()).isEqualTo(initial - 35);

            bob.receive(Duration.ofMillis(500), 10, message -> { });

            assertThat(bob.serverKeyCounts().getPreKeys()).isEqualTo(initial - 35 + PreKeyGenerator.BATCH);
            assertThat(bob.serverKeyCounts().getKyberPreKeys()).isGreaterThanOrEqualTo(PreKeyGenerator.BATCH);
            // The refilled keys work: a new contact can still start a session with Bob.
            alice.send("bob.92", "still reachable");
            assertThat(MessagingIT.receiveAll(bob, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("still reachable");
        }
    }
}
