// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/**
 * The bridge carries plain bytes from loopback into TLS to a server whose key matches a pin, and
 * nothing to one whose key does not. A Svyaz server stands in for coturn's TLS port here: both
 * answer whatever comes inside the TLS, which is all the bridge cares about.
 */
class TurnTlsBridgeIT {
    @TempDir
    Path temp;

    private static String exchange(TurnTlsBridge bridge) throws Exception {
        try (Socket browser = new Socket(InetAddress.getLoopbackAddress(), bridge.port())) {
            browser.setSoTimeout(10_000);
            browser.getOutputStream().write("GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = browser.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void bytesCrossOnlyToTheServerWhoseKeyIsPinned() throws Exception {
        try (SvyazServer server = SvyazServer.start(ServerConfig.defaults(temp.resolve("server"),
                new java.net.InetSocketAddress("127.0.0.1", 0)).withAdmin(java.util.Optional.empty()))) {
            List<byte[]> pins = server.inviteLink().descriptor().getTlsKeyPinsList().stream()
                    .map(ByteString::toByteArray).toList();
            try (TurnTlsBridge pinned = TurnTlsBridge.start("127.0.0.1", server.address().getPort(), pins)) {
                assertThat(exchange(pinned)).startsWith("HTTP/1.1 ");
            }
            byte[] otherKey = new byte[32];
            try (TurnTlsBridge wrong = TurnTlsBridge.start("127.0.0.1", server.address().getPort(), List.of(otherKey))) {
                assertThat(exchange(wrong)).as("a key that is not pinned gets no byte").isEmpty();
            }
        }
    }

    @Test
    void throughARelayTheTokenAndOneByteReachTheRelaysTurnServer() throws Exception {
        // Two servers with keys of their own: the relay's own upstream, and one standing in for the
        // TURN server's TLS port. Only the second's key is pinned, so an answer means the relay chose it.
        try (SvyazServer server = SvyazServer.start(ServerConfig.defaults(temp.resolve("server"),
                     new java.net.InetSocketAddress("127.0.0.1", 0)).withAdmin(java.util.Optional.empty()));
             SvyazServer turn = SvyazServer.start(ServerConfig.defaults(temp.resolve("turn"),
                     new java.net.InetSocketAddress("127.0.0.1", 0)).withAdmin(java.util.Optional.empty()));
             org.svyaz.relay.RelayServer relay = org.svyaz.relay.RelayServer.start(new org.svyaz.relay.RelayConfig(
                     temp.resolve("relay"), new java.net.InetSocketAddress("127.0.0.1", 0), server.address(),
                     "kotiki-daily.example", java.util.Optional.empty(), 100, java.time.Duration.ofMinutes(2))
                     .withTurnUpstream(turn.address()))) {
            org.svyaz.protocol.RelayLink link = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            List<byte[]> turnPins = turn.inviteLink().descriptor().getTlsKeyPinsList().stream()
                    .map(ByteString::toByteArray).toList();
            try (TurnTlsBridge viaRelay = TurnTlsBridge.start("127.0.0.1", turn.address().getPort(), turnPins,
                    java.util.Optional.of(link))) {
                assertThat(exchange(viaRelay)).startsWith("HTTP/1.1 ");
            }
            List<byte[]> serverPins = server.inviteLink().descriptor().getTlsKeyPinsList().stream()
                    .map(ByteString::toByteArray).toList();
            try (TurnTlsBridge wrongTarget = TurnTlsBridge.start("127.0.0.1", turn.address().getPort(), serverPins,
                    java.util.Optional.of(link))) {
                assertThat(exchange(wrongTarget)).as("the relay did not take it to its own upstream").isEmpty();
            }
        }
    }
}
