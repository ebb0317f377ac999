// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The no-SNI route really leaves the server's name out of the ClientHello. */
class ServerTlsTest {
    private static final String NAME = "chat.svyaz-test.example";

    @Test
    void clientHelloNamesTheServerOnlyWhenAsked() throws Exception {
        SslContext ssl = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3").build();
        assertThat(clientHello(ServerConnection.serverTls(ssl, ByteBufAllocator.DEFAULT, Optional.of(NAME), 443,
                Duration.ofSeconds(10)))).contains(NAME);
        String withoutSni = clientHello(ServerConnection.serverTls(ssl, ByteBufAllocator.DEFAULT, Optional.empty(), 443,
                Duration.ofSeconds(10)));
        assertThat(withoutSni).as("a ClientHello was produced").isNotEmpty();
        assertThat(withoutSni).doesNotContain(NAME).doesNotContain("svyaz");
        String covered = clientHello(ServerConnection.serverTls(ssl, ByteBufAllocator.DEFAULT, Optional.of("www.example.com"),
                443, Duration.ofSeconds(10)));
        assertThat(covered).contains("www.example.com").doesNotContain(NAME).doesNotContain("svyaz");
    }

    private static String clientHello(io.netty.handler.ssl.SslHandler handler) {
        EmbeddedChannel channel = new EmbeddedChannel(handler);
        try {
            StringBuilder bytes = new StringBuilder();
            ByteBuf out;
            while ((out = channel.readOutbound()) != null) {
                bytes.append(new String(ByteBufUtil.getBytes(out), StandardCharsets.ISO_8859_1));
                out.release();
            }
            return bytes.toString();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
