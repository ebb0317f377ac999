// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Rewires a connection's pipeline once the gate has decided what it is. */
final class RelayPipelines {
    private static final int MAX_DECOY_REQUEST_BYTES = 16 * 1024;

    private final DecoySite site;
    private final InetSocketAddress upstream;
    private final Duration decoyIdleTimeout;

    RelayPipelines(DecoySite site, InetSocketAddress upstream, Duration decoyIdleTimeout) {
        this.site = site;
        this.upstream = upstream;
        this.decoyIdleTimeout = decoyIdleTimeout;
    }

    /** Anyone without the secret: an ordinary HTTPS web site. The bytes already read go to it. */
    void toDecoy(ChannelHandlerContext ctx, ChannelHandler gate) {
        ctx.pipeline().addAfter(ctx.name(), "http", new HttpServerCodec());
        // Requests that arrived together (pipelined) are handed on only while the answers are taken:
        // the site stops reading when they are not (DecoySiteHandler), and this holds the rest.
        ctx.pipeline().addAfter("http", "http-flow", new FlowControlHandler());
        ctx.pipeline().addAfter("http-flow", "http-aggregator", new HttpObjectAggregator(MAX_DECOY_REQUEST_BYTES));
        ctx.pipeline().addAfter("http-aggregator", "site", new DecoySiteHandler(site));
        // A visitor is closed when idle as a web server would, long before a tunnel would be.
        ctx.pipeline().replace("idle", "idle", new IdleStateHandler(0, 0, decoyIdleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        ctx.pipeline().remove(gate);
        ctx.channel().config().setAutoRead(true);
    }

    /** A client with the secret: everything after the token is spliced to the server, unread. */
    void toTunnel(ChannelHandlerContext ctx, ChannelHandler gate) {
        ctx.pipeline().addAfter(ctx.name(), "tunnel", new TunnelHandler(upstream));
        ctx.pipeline().remove(gate);
    }
}
