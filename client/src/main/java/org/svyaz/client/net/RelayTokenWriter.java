// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sends the relay token as the very first bytes inside the outer TLS, before the inner TLS
 * handshake to the server starts, then steps out of the pipeline. The outer TLS holds the bytes
 * until its own handshake is done, so the order on the wire is: token, then our ClientHello.
 */
final class RelayTokenWriter extends ChannelInboundHandlerAdapter {
    private final byte[] token;

    RelayTokenWriter(byte[] token) {
        this.token = token.clone();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(token));
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }
}
