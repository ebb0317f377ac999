// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;
import org.svyaz.protocol.wire.DescriptorRequest;
import org.svyaz.protocol.wire.DescriptorResponse;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.RelaysRequest;
import org.svyaz.protocol.wire.Response;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import org.svyaz.server.StorageSettings;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.identity.DescriptorPublisher;
import org.svyaz.server.identity.DescriptorSettings;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.store.Storage;

/**
 * Issue #16, point 1: a censor who fetches the server's descriptor learns no relay; someone whose
 * network blocks the server registers through the relays an invite carries, and from then on uses
 * the relays the server hands to that account, each with a token of the account's own.
 */
class RelayGrantsIT {
    private static final int RELAYS = 4;

    @TempDir
    Path temp;

    @Test
    void relaysReachOnlyInvitesAndAccountsEachWithTokensOfTheirOwn() throws Exception {
        Path data = temp.resolve("server");
        Storage storage = SvyazServer.openStorage(StorageSettings.EMBEDDED, data);
        // The server's own address in the descriptor is dead: as for someone whose network blocks it.
        try (SvyazServer server = SvyazServer.start(TestServer.config(data)
                .withRegistration(RegistrationPolicy.INVITE)
                .withAdvertised(List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(closedPort()).build())),
                storage)) {
            byte[] serverKey = server.inviteLink().descriptor().getIdentityKey().toByteArray();
            List<RelayServer> relays = new ArrayList<>();
            try {
                List<RelayLink> links = new ArrayList<>();
                for (int i = 0; i < RELAYS; i++) {
                    RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay" + i),
                            new InetSocketAddress("127.0.0.1", 0), server.address(), "pechenki-" + i + ".example",
                            Optional.empty(), 100, Duration.ofMinutes(2)));
                    relays.add(relay);
                    links.add(relay.link("127.0.0.1", relay.address().getPort(), serverKey));
                }
                new DescriptorSettings(Set.of(), links.stream().map(RelayLink::toString)
                        .collect(Collectors.toCollection(LinkedHashSet::new)), Set.of(), Set.of(), Set.of()).save(data);
                InviteLink published = server.republishDescriptor();

                // What anyone may fetch names no relay, and no relay's secret is anywhere in it.
                assertThat(published.descriptor().getRelaysList()).isEmpty();
                String inviteFile = Files.readString(data.resolve(DescriptorPublisher.INVITE_FILE));
                assertThat(InviteLink.parse(inviteFile).relays()).isEmpty();
                for (RelayLink link : links) {
                    assertThat(latin1(published.signed().toByteString().toByteArray()))
                            .doesNotContain(latin1(link.descriptor().getSecret().toByteArray()));
                }

                // An invite carries two relays, with tokens for that invite and no secret.
                InviteCodes codes = new InviteCodes(storage.accounts(), Clock.systemUTC());
                String aliceCode = codes.create(Duration.ofHours(1));
                InviteLink aliceInvite = InviteLink.parse(RelayGrants.invite(data, aliceCode, Clock.systemUTC()).toString());
                assertThat(aliceInvite.relays()).hasSize(RelayGrants.PER_SUBJECT).allSatisfy(relay -> {
                    assertThat(relay.granted()).isTrue();
                    assertThat(relay.descriptor().getSecret()).isEmpty();
                    assertThat(links).anyMatch(relay::sameRelay);
                });

                // A token found in the wild names its invite to the operator while the invite is open.
                RelayGrants operator = RelayGrants.open(data, Clock.systemUTC());
                assertThat(operator.ownerOf(RelayToken.tag(aliceInvite.relays().getFirst().token()), storage.accounts()))
                        .get().isInstanceOf(RelayGrants.Owner.OfInvite.class);
                try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), aliceInvite, "alice.61",
                        Clock.systemUTC());
                     SvyazClient bob = SvyazClient.register(temp.resolve("b"),
                             RelayGrants.invite(data, codes.create(Duration.ofHours(1)), Clock.systemUTC()),
                             "bob.62", Clock.systemUTC())) {
                    // Registered, and connected since, through relays only: the server's address is dead.
                    RelayGrants grants = RelayGrants.open(data, Clock.systemUTC());
                    for (SvyazClient client : List.of(alice, bob)) {
                        byte[] tag = grants.tagOfAccount(client.accountId());
                        client.serverKeyCounts(); // connects (through the invite's relays) and asks for its own
                        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(client.relays())
                                .hasSize(RelayGrants.PER_SUBJECT)
                                .allSatisfy(relay -> assertThat(RelayToken.tag(relay.token()))
                                        .as("a token of the account's own").isEqualTo(tag)));
                        // ... and an account's token names the account.
                        assertThat(operator.ownerOf(RelayToken.tag(client.relays().getFirst().token()),
                                storage.accounts())).contains(new RelayGrants.Owner.OfAccount(client.accountId()));
                        assertThat(client.relays()).allSatisfy(relay -> {
                            assertThat(relay.descriptor().getSecret()).isEmpty();
                            assertThat(relay.expiresAtMillis()).isGreaterThan(System.currentTimeMillis()
                                    + RelayGrants.VALIDITY.toMillis() - Duration.ofHours(1).toMillis());
                        });
                    }
                    // Alice's invite is used up: its tokens name no one any more.
                    assertThat(operator.ownerOf(RelayToken.tag(aliceInvite.relays().getFirst().token()),
                            storage.accounts())).isEmpty();
                    alice.send("bob.62", "through a relay of my own");
                    assertThat(receiveUntil(bob, body("through a relay of my own"))).isNotEmpty();
                }
                assertThat(relays.stream().mapToLong(RelayServer::tunnelsOpened).sum()).isPositive();
            } finally {
                for (RelayServer relay : relays) {
                    relay.close();
                }
            }
        }
    }

    @Test
    void aConnectionWithoutCredentialsGetsTheDescriptorButNoRelays() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "pirozhki.example",
                     Optional.empty(), 100, Duration.ofMinutes(2)))) {
            RelayLink link = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            new DescriptorSettings(Set.of(), Set.of(link.toString()), Set.of(), Set.of(), Set.of()).save(data);
            server.republishDescriptor();
            try (ServerConnection anonymous = ServerConnection.connect(server.inviteLink(), Optional.empty(),
                    push -> Response.getDefaultInstance(), Duration.ofSeconds(10))) {
                Response descriptor = anonymous.call(ApiPaths.DESCRIPTOR, DescriptorRequest.getDefaultInstance(),
                        Duration.ofSeconds(10));
                assertThat(descriptor.getError()).isEqualTo(ErrorCode.OK);
                ServerDescriptor served = ServerDescriptor.parseFrom(SignedServerDescriptor.parseFrom(
                        DescriptorResponse.parseFrom(descriptor.getBody()).getSignedDescriptor()).getDescriptorBytes());
                assertThat(served.getRelaysList()).isEmpty();

                Response relays = anonymous.call(ApiPaths.RELAYS, RelaysRequest.getDefaultInstance(),
                        Duration.ofSeconds(10));
                assertThat(relays.getError()).isEqualTo(ErrorCode.UNAUTHORIZED);
                assertThat(latin1(relays.getBody().toByteArray()))
                        .doesNotContain(latin1(link.descriptor().getTlsKeyPin().toByteArray()));
            }
        }
    }

    /** Bytes as a string of the same length, to search them for other bytes. */
    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
