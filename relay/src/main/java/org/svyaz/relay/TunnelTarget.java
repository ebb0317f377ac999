// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.net.InetSocketAddress;
import java.util.List;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.svyaz.protocol.RelayToken;

/**
 * After the token: the first byte of the tunnel picks where it goes. {@link RelayToken#TURN_TUNNEL}
 * (taken off) sends it to the TURN server, for a call's media; anything else, the start of the
 * client's TLS to the Svyaz server, goes to the server as it is.
 */
final class TunnelTarget extends ByteToMessageDecoder {
    private final InetSocketAddress server;
    private final InetSocketAddress turn;

    TunnelTarget(InetSocketAddress server, InetSocketAddress turn) {
        this.server = server;
        this.turn = turn;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.read(); // the byte may not be here yet
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            ctx.read();
            return;
        }
        InetSocketAddress target = server;
        if (in.getByte(in.readerIndex()) == RelayToken.TURN_TUNNEL) {
            in.skipBytes(1);
            target = turn;
        }
        ctx.pipeline().addAfter(ctx.name(), "tunnel", new TunnelHandler(target));
        ctx.pipeline().remove(this);
    }
}
