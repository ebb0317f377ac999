// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a connection that has gone quiet, as when a censor freezes a flow after so many bytes
 * or blackholes it without a reset: after {@link #quietBeforePing} without a byte from the server
 * it sends a WebSocket ping (which the server answers); after the same time again with still
 * nothing, it closes the connection, so that the client reconnects over a fresh flow (and, if
 * needed, another route) instead of waiting for TCP to give up. Sits at the front of the pipeline,
 * so every byte read counts, whatever it carries.
 */
final class StallDetector extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(StallDetector.class);
    static final Duration DEFAULT_QUIET = Duration.ofSeconds(3);

    private final Duration quietBeforePing;
    private volatile boolean webSocketOpen;
    private volatile boolean stalled;
    private boolean pinged;

    private StallDetector(Duration quietBeforePing) {
        this.quietBeforePing = quietBeforePing;
    }

    /** The idle timer and the detector, to be added first in the pipeline in this order. */
    static ChannelHandler[] handlers(Duration quietBeforePing) {
        return new ChannelHandler[] {
                new IdleStateHandler(quietBeforePing.toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                new StallDetector(quietBeforePing)};
    }

    /** Called once the WebSocket is up: before that the handshake's own timeout applies. */
    void webSocketOpened() {
        webSocketOpen = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
        pinged = false;
        super.channelRead(ctx, message);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE && webSocketOpen) {
            if (pinged) {
                // Two quiet periods in a row, one after a ping: the flow is dead or frozen.
                log.debug("no bytes from the server for {} ms despite a ping; closing the connection",
                        2 * quietBeforePing.toMillis());
                stalled = true;
                ctx.close();
                return;
            }
            pinged = true;
            // From the tail, so the WebSocket encoder and TLS wrap it.
            ctx.channel().writeAndFlush(new PingWebSocketFrame());
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    /** Whether this detector closed the connection because it went quiet (frozen or dead). */
    boolean stalled() {
        return stalled;
    }

    Duration quietBeforePing() {
        return quietBeforePing;
    }
}
