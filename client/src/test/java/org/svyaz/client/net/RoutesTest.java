// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.RouteKind;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.relay.RelayDescriptor;

class RoutesTest {
    private static final Endpoint NAMED = Endpoint.newBuilder().setHost("chat.svyaz.test").setPort(8443).build();
    private static final Endpoint ADDRESS = Endpoint.newBuilder().setHost("192.0.2.7").setPort(8443).build();

    @Test
    void everyKindOfRouteIsTriedDirectFirstRelaysLast() throws Exception {
        List<Route> routes = Routes.of(link(true), List.of(relay()));

        assertThat(routes).extracting(Route::describe).containsExactly(
                "direct chat.svyaz.test:8443",
                "direct 192.0.2.7:8443",
                "direct chat.svyaz.test:8443 without SNI",
                "direct chat.svyaz.test:8443 with SNI www.example.com",
                "direct chat.svyaz.test:8443",
                "relay 198.51.100.2:443");
        assertThat(routes).extracting(Route::kind).containsExactly(RouteKind.DIRECT, RouteKind.DIRECT,
                RouteKind.NO_SNI, RouteKind.COVER_SNI, RouteKind.DOH, RouteKind.RELAY);
        assertThat(routes.get(4).sni()).as("DoH only replaces the address lookup").contains("chat.svyaz.test");
    }

    @Test
    void withoutResolversOrCoverNamesThoseRoutesAreLeftOut() throws Exception {
        assertThat(Routes.of(link(false), List.of())).extracting(Route::kind)
                .containsExactly(RouteKind.DIRECT, RouteKind.DIRECT, RouteKind.NO_SNI);
    }

    @Test
    void theRouteThatWonLastTimeOnThisNetworkStartsFirst() throws Exception {
        List<Route> routes = Routes.of(link(true), List.of(relay()));
        String relayKey = routes.getLast().key();
        String dohKey = routes.get(4).key();

        assertThat(Routes.preferredFirst(routes, Optional.of(relayKey)).getFirst().kind()).isEqualTo(RouteKind.RELAY);
        List<Route> dohFirst = Routes.preferredFirst(routes, Optional.of(dohKey));
        assertThat(dohFirst.getFirst().kind()).isEqualTo(RouteKind.DOH);
        assertThat(dohFirst.subList(1, dohFirst.size())).as("the others keep their order")
                .containsExactlyElementsOf(routes.stream().filter(r -> r.kind() != RouteKind.DOH).toList());
        assertThat(Routes.preferredFirst(routes, Optional.of("relay 203.0.113.9:443")))
                .as("a route that no longer exists changes nothing").containsExactlyElementsOf(routes);
        assertThat(routes.stream().map(Route::key).distinct().count()).as("keys tell routes apart")
                .isEqualTo(routes.size());
    }

    @Test
    void networkIdentityIsStableAndRevealsNoAddress() {
        String id = NetworkIdentity.current();
        assertThat(id).isEqualTo(NetworkIdentity.current()).matches("[0-9a-f]{16}");
    }

    private static InviteLink link(boolean withDohAndCover) throws Exception {
        KeyPair identity = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        ServerDescriptor.Builder descriptor = ServerDescriptor.newBuilder()
                .setVersion(1)
                .setIdentityKey(ByteString.copyFrom(identity.getPublic().getEncoded()))
                .addTlsKeyPins(ByteString.copyFrom(new byte[32]))
                .addEndpoints(NAMED)
                .addEndpoints(ADDRESS);
        if (withDohAndCover) {
            descriptor.addDohResolvers("https://192.0.2.53/dns-query").addCoverNames("www.example.com");
        }
        return InviteLink.sign(descriptor.build(), identity.getPrivate(), Optional.empty());
    }

    private static RelayLink relay() {
        return new RelayLink(RelayDescriptor.newBuilder().setHost("198.51.100.2").setPort(443).setSni("news.example.org")
                .setTlsKeyPin(ByteString.copyFrom(new byte[32])).setSecret(ByteString.copyFrom(new byte[32])).build());
    }
}
