// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;

/** Rewires a connection's pipeline once the gate has decided what it is. */
final class RelayPipelines {
    private static final int MAX_DECOY_REQUEST_BYTES = 16 * 1024;

    private final DecoySite site;
    private final InetSocketAddress upstream;

    RelayPipelines(DecoySite site, InetSocketAddress upstream) {
        this.site = site;
        this.upstream = upstream;
    }

    /** Anyone without the secret: an ordinary HTTPS web site. The bytes already read go to it. */
    void toDecoy(ChannelHandlerContext ctx, ChannelHandler gate) {
        ctx.pipeline().addAfter(ctx.name(), "http", new HttpServerCodec());
        ctx.pipeline().addAfter("http", "http-aggregator", new HttpObjectAggregator(MAX_DECOY_REQUEST_BYTES));
        ctx.pipeline().addAfter("http-aggregator", "site", new DecoySiteHandler(site));
        ctx.pipeline().remove(gate);
        ctx.channel().config().setAutoRead(true);
    }

    /** A client with the secret: everything after the token is spliced to the server, unread. */
    void toTunnel(ChannelHandlerContext ctx, ChannelHandler gate) {
        ctx.pipeline().addAfter(ctx.name(), "tunnel", new TunnelHandler(upstream));
        ctx.pipeline().remove(gate);
    }
}
