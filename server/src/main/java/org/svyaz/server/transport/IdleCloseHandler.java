// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes connections that went silent: a dead peer must not hold its device's slot forever. One
 * handler that both times and closes, not a timer plus a closer: every handler is a pipeline entry
 * kept for the connection's life, and idle connections are what a server holds most of.
 */
final class IdleCloseHandler extends IdleStateHandler {
    IdleCloseHandler(Duration silence) {
        super(0, 0, silence.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
        ctx.close();
    }
}
