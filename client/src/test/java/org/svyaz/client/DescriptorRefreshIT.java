// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.UserInputException;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.identity.DescriptorSettings;

/** Clients learn new addresses and relays from the server's signed descriptor, and reject forgeries. */
class DescriptorRefreshIT {
    @TempDir
    Path temp;

    @Test
    void clientsPickUpAddedAddressesAndRelaysAndSurviveTheOldAddressBeingBlocked() throws Exception {
        Path data = temp.resolve("server");
        try (AckDroppingProxy oldAddress = new AckDroppingProxy();
             AckDroppingProxy newAddress = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(data)
                     .withAdvertised(List.of(endpoint(oldAddress.port()))));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "news.example.org", Optional.empty(),
                     100, Duration.ofMinutes(2)))) {
            oldAddress.forwardTo(server.address());
            newAddress.forwardTo(server.address());
            Path aliceDir;
            Path bobDir;
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.51", Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.52", Clock.systemUTC())) {
                aliceDir = temp.resolve("a").resolve(alice.username());
                bobDir = temp.resolve("b").resolve(bob.username());
                bob.resolve("alice.51");
                alice.resolve("bob.52");
            }

            // The operator adds an address and a relay; the server re-signs its descriptor.
            RelayLink relayLink = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            new DescriptorSettings(Set.of("127.0.0.1:" + newAddress.port()), Set.of(relayLink.toString()), Set.of(), Set.of(), Set.of())
                    .save(data);
            InviteLink published = server.republishDescriptor();
            assertThat(published.descriptor().getEndpointsList()).contains(endpoint(newAddress.port()));
            assertThat(published.descriptor().getExpiresAt()).isGreaterThan(System.currentTimeMillis());

            // Connecting once through the old address is enough to learn the new descriptor, and the
            // relay, which the server hands to each account with a token of its own (never its secret).
            for (Path dir : List.of(aliceDir, bobDir)) {
                try (SvyazClient client = SvyazClient.open(dir, Clock.systemUTC())) {
                    client.serverKeyCounts();
                    assertThat(client.server().descriptor().getEndpointsList()).contains(endpoint(newAddress.port()));
                    assertThat(client.server().descriptor().getRelaysList()).isEmpty();
                    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(client.relays())
                            .singleElement().satisfies(granted -> {
                                assertThat(granted.sameRelay(relayLink)).isTrue();
                                assertThat(granted.granted()).isTrue();
                                assertThat(granted.descriptor().getSecret()).isEmpty();
                            }));
                }
            }

            oldAddress.close(); // the censor blocks the address in everyone's original invite link
            try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC());
                 SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                alice.send("bob.52", "from the new address");
                assertThat(receiveUntil(bob, body("from the new address"))).isNotEmpty();
            }

            newAddress.close(); // and then the new one: only the relay the server handed out is left
            try (SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC());
                 SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
                alice.send("bob.52", "through the relay");
                assertThat(receiveUntil(bob, body("through the relay"))).isNotEmpty();
                assertThat(relay.tunnelsOpened()).isPositive();
            }
        }
    }

    @Test
    void forgedOlderAndExpiredDescriptorsAreRejected() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"))) {
            InviteLink link = server.inviteLink();
            // Signed by another key that claims the server's identity: refused.
            var impostor = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            InviteLink forged = InviteLink.sign(link.descriptor().toBuilder().setIssuedAt(link.descriptor().getIssuedAt() + 1)
                    .build(), impostor.getPrivate(), Optional.empty());
            assertThatThrownBy(() -> link.refreshedBy(forged.signed(), System.currentTimeMillis()))
                    .isInstanceOf(InvalidInviteLinkException.class).hasMessageContaining("signature");
            // A descriptor for another server: refused even though its own signature is fine.
            InviteLink other = InviteLink.sign(link.descriptor().toBuilder()
                    .setIdentityKey(com.google.protobuf.ByteString.copyFrom(impostor.getPublic().getEncoded())).build(),
                    impostor.getPrivate(), Optional.empty());
            assertThatThrownBy(() -> link.refreshedBy(other.signed(), System.currentTimeMillis()))
                    .isInstanceOf(InvalidInviteLinkException.class).hasMessageContaining("another identity key");

            InviteLink newer = server.republishDescriptor();
            assertThat(link.refreshedBy(newer.signed(), System.currentTimeMillis()).descriptor().getIssuedAt())
                    .isGreaterThanOrEqualTo(link.descriptor().getIssuedAt());
            assertThatThrownBy(() -> newer.refreshedBy(link.signed(), System.currentTimeMillis()))
                    .as("a replayed older descriptor").isInstanceOf(InvalidInviteLinkException.class)
                    .hasMessageContaining("older");
            long afterExpiry = newer.descriptor().getExpiresAt() + 1;
            assertThatThrownBy(() -> link.refreshedBy(newer.signed(), afterExpiry))
                    .isInstanceOf(InvalidInviteLinkException.class).hasMessageContaining("expired");

            // Registering with an expired invite link fails with a sentence, before any network use.
            MovableClock future = new MovableClock();
            future.advance(Duration.ofDays(365));
            assertThatThrownBy(() -> SvyazClient.register(temp.resolve("late"), link, "late.77", future))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("expired");
        }
    }

    private static Endpoint endpoint(int port) {
        return Endpoint.newBuilder().setHost("127.0.0.1").setPort(port).build();
    }
}
