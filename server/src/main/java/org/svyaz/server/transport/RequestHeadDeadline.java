// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * An HTTP request head (the WebSocket upgrade, a blob request) must be complete within a deadline
 * of the connection's opening, or of the first byte after the previous request. A slow sender
 * ("slowloris": a header byte now and then) kept a connection, with its slot and buffers, as long
 * as the idle timeout let it, and that timer restarts with every byte. Bodies (uploads) and the
 * WebSocket are not timed here; the idle timeout covers them.
 *
 * <p>Two handlers share one deadline: {@link #bytes()} before the HTTP decoder sees bytes arrive,
 * {@link #requests()} after it sees where requests begin and end. The upgrade stops it for good.
 */
final class RequestHeadDeadline {
    private final Duration timeout;
    /** Between requests: the next byte starts a head. */
    private boolean betweenRequests = true;
    private boolean done;
    private ScheduledFuture<?> timer;

    RequestHeadDeadline(Duration timeout) {
        this.timeout = timeout;
    }

    ChannelInboundHandlerAdapter bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) throws Exception {
                // A connection that sends nothing after the TLS handshake is timed too.
                arm(ctx);
                super.channelActive(ctx);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (betweenRequests && timer == null && !done) {
                    arm(ctx);
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                stop();
                super.channelInactive(ctx);
            }
        };
    }

    ChannelInboundHandlerAdapter requests() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    betweenRequests = false;
                    cancel();
                }
                if (msg instanceof LastHttpContent) {
                    betweenRequests = true;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    /** The connection became a WebSocket: no more request heads. */
    void stop() {
        done = true;
        cancel();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (!done && timer == null) {
            timer = ctx.executor().schedule(() -> {
                ctx.close();
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
