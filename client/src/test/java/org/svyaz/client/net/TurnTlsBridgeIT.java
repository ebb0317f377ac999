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
}
