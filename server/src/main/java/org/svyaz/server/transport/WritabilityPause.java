// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Stops reading a connection while its answers wait to be sent (Netty's writability: more than
 * the high water mark queued). A client that sends requests and never reads the answers used to
 * have every answer held in the server's memory; now its requests stay in its own socket. One
 * instance serves every connection: it keeps no state of its own.
 */
@ChannelHandler.Sharable
final class WritabilityPause extends ChannelInboundHandlerAdapter {
    static final WritabilityPause INSTANCE = new WritabilityPause();

    private WritabilityPause() {}

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ReadPauses.of(ctx.channel()).set(ReadPauses.Reason.UNWRITABLE, !ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }
}
