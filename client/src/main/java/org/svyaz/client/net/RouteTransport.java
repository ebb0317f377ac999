// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * The bytes-level way along a {@link Route}: where to connect, and the TLS layers up to the
 * server (through a relay: TLS to the relay under its own name, the relay token, then the pinned
 * TLS to the server inside). Shared by the WebSocket and by attachment transfers, so both go the
 * same way past a censor.
 */
final class RouteTransport {
    private RouteTransport() {}

    /** The address to open a TCP connection to: the relay's, or the server's. */
    static InetSocketAddress remoteAddress(Route route) {
        if (route.relay().isPresent()) {
            RelayDescriptor relay = route.relay().get().descriptor();
            return InetSocketAddress.createUnresolved(relay.getHost(), relay.getPort());
        }
        int port = route.endpoint().getPort();
        return route.address().map(address -> new InetSocketAddress(address, port))
                .orElse(InetSocketAddress.createUnresolved(route.endpoint().getHost(), port));
    }

    /** The TLS context towards the route's relay, if it has one. */
    static Optional<SslContext> relayContext(Route route) throws ConnectionException {
        if (route.relay().isEmpty()) {
            return Optional.empty();
        }
        RelayLink relay = route.relay().get();
        try {
            return Optional.of(SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .trustManager(new PinnedTrustManager(List.of(relay.descriptor().getTlsKeyPin().toByteArray())))
                    .endpointIdentificationAlgorithm(null)
                    .build());
        } catch (SSLException e) {
            throw new ConnectionException("TLS is not available in this Java runtime", e);
        }
    }

    /**
     * Adds the route's TLS layers to a new channel; what the caller adds next speaks to the server.
     * {@code timeout} bounds each handshake.
     */
    static void addTo(SocketChannel channel, Route route, SslContext serverTls, Optional<SslContext> relayTls,
                      Duration timeout) {
        if (route.relay().isPresent()) {
            RelayDescriptor relay = route.relay().get().descriptor();
            SslHandler outer = relayTls.orElseThrow().newHandler(channel.alloc(), relay.getSni(), relay.getPort());
            outer.setHandshakeTimeoutMillis(timeout.toMillis());
            channel.pipeline().addLast("relay-tls", outer);
            channel.pipeline().addLast("relay-token", new RelayTokenWriter(route.relay().get().token()));
        }
        channel.pipeline().addLast("server-tls", ServerConnection.serverTls(serverTls, channel.alloc(), route.sni(),
                route.endpoint().getPort(), timeout));
    }
}
