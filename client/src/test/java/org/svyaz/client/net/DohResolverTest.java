// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DohResolverTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path keys;

    private static DohTestServer doh;

    @BeforeAll
    static void start() throws Exception {
        doh = DohTestServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), keys,
                Map.of("chat.svyaz.test", List.of(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::7"))));
    }

    @AfterAll
    static void stop() {
        doh.close();
    }

    @Test
    void resolvesBothFamiliesOverPinnedTls() throws Exception {
        List<InetAddress> addresses = DohResolver.parse(doh.url()).resolve("chat.svyaz.test", TIMEOUT);

        assertThat(addresses).containsExactly(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::7"));
    }

    @Test
    void unknownNameIsNxdomain() {
        assertThatThrownBy(() -> DohResolver.parse(doh.url()).resolve("blocked.svyaz.test", TIMEOUT))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("NXDOMAIN");
    }

    @Test
    void resolverWithAnotherKeyIsRefused() {
        String forged = doh.url().replaceAll("spki-sha256=.*", "spki-sha256=" + "A".repeat(43));
        int before = doh.queries();

        assertThatThrownBy(() -> DohResolver.parse(forged).resolve("chat.svyaz.test", TIMEOUT))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(UnknownHostException.class)
                .hasMessageContaining("cannot be reached");
        assertThat(doh.queries()).as("no question reached a resolver we do not trust").isEqualTo(before);
    }

    @Test
    void resolverThatIsNotThereFailsWithinTheTimeout() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = doh.url().replaceFirst(":\\d+/", ":" + closedPort + "/");

        assertThatThrownBy(() -> DohResolver.parse(url).resolve("chat.svyaz.test", TIMEOUT))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot be reached");
    }

    @Test
    void badUrlsAreExplained() {
        assertThatThrownBy(() -> DohResolver.parse("http://dns.example/dns-query"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https://");
        assertThatThrownBy(() -> DohResolver.parse("https://dns.example/dns-query#spki-sha256=c2hvcnQ"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32-byte");
        assertThatThrownBy(() -> DohResolver.parse("https://dns.example/dns-query#other"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fragment");
        assertThatThrownBy(() -> DohResolver.parse("https://dns example"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a URL");
    }
}
