// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Rewires a connection's pipeline once the gate has decided what it is. */
final class RelayPipelines {
    private static final int MAX_DECOY_REQUEST_BYTES = 16 * 1024;

    private final DecoySite site;
    private final InetSocketAddress upstream;
    private final Optional<InetSocketAddress> turnUpstream;
    private final Duration decoyIdleTimeout;

    RelayPipelines(DecoySite site, InetSocketAddress upstream, Optional<InetSocketAddress> turnUpstream,
                   Duration decoyIdleTimeout) {
        this.site = site;
        this.upstream = upstream;
        this.turnUpstream = turnUpstream;
        this.decoyIdleTimeout = decoyIdleTimeout;
    }

    /**
     * Anyone without the secret: an ordinary HTTPS web site, over HTTP/2 when ALPN chose it, else
     * HTTP/1.1. The bytes already read go to it.
     */
    void toDecoy(ChannelHandlerContext ctx, ChannelHandler gate) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null && ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol())) {
            toDecoyOverHttp2(ctx, gate);
            return;
        }
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

    /**
     * The same site over HTTP/2: each stream a child channel with the HTTP/1.1 handler behind a
     * converter, which also writes the header names in lower case and drops {@code Connection},
     * as HTTP/2 requires. A stream's request has the same size limit.
     */
    private void toDecoyOverHttp2(ChannelHandlerContext ctx, ChannelHandler gate) {
        ctx.pipeline().addAfter(ctx.name(), "h2", Http2FrameCodecBuilder.forServer().build());
        ctx.pipeline().addAfter("h2", "h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                stream.pipeline().addLast(new HttpObjectAggregator(MAX_DECOY_REQUEST_BYTES));
                stream.pipeline().addLast(new DecoySiteHandler(site));
            }
        }));
        ctx.pipeline().replace("idle", "idle", new IdleStateHandler(0, 0, decoyIdleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        ctx.pipeline().remove(gate);
        ctx.channel().config().setAutoRead(true);
    }

    /** A client with the secret: everything after the token is spliced to the server, unread. */
    void toTunnel(ChannelHandlerContext ctx, ChannelHandler gate) {
        if (turnUpstream.isPresent()) {
            ctx.pipeline().addAfter(ctx.name(), "tunnel-target", new TunnelTarget(upstream, turnUpstream.get()));
        } else {
            ctx.pipeline().addAfter(ctx.name(), "tunnel", new TunnelHandler(upstream));
        }
        ctx.pipeline().remove(gate);
    }
}
