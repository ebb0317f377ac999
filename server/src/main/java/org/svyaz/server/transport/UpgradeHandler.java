// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.api.Caller;
import org.svyaz.server.store.StoreException;

/**
 * Plain HTTP on the TLS port: the health check, the probe's timed download, and the gate to the
 * WebSocket. A connection that
 * presents credentials is authenticated before the upgrade; one that presents none becomes an
 * anonymous connection that may call only anonymous paths (registration).
 */
final class UpgradeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpgradeHandler.class);
    static final AttributeKey<Optional<Caller>> CALLER = AttributeKey.valueOf("svyaz.caller");
    private static final long LINGER_SECONDS = 2;

    private final Authenticator authenticator;
    private final Executor executor;
    private final ConnectionCaps caps;
    private final RequestHeadDeadline headDeadline;

    UpgradeHandler(Authenticator authenticator, Executor executor, ConnectionCaps caps, RequestHeadDeadline headDeadline) {
        this.authenticator = authenticator;
        this.executor = executor;
        this.caps = caps;
        this.headDeadline = headDeadline;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        Optional<String> decoded = RequestTargets.path(request.uri());
        if (decoded.isEmpty()) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad request\n");
            request.release();
            return;
        }
        String path = decoded.get();
        // No /health here: on the public port it would tell a prober it found a Svyaz server.
        // The admin port (loopback only, AdminServer) answers it.
        if (path.equals(ApiPaths.PROBE_DOWNLOAD)) {
            ProbeDownload.answer(ctx, request);
            request.release();
            return;
        }
        if (!path.equals(ApiPaths.WEBSOCKET)) {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
            request.release();
            return;
        }
        headDeadline.stop();
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null) {
            // Registration, sealed sends and profile reads need no account, so an invite-only server
            // takes these too; a source gets a smaller share of them than of all connections.
            if (!caps.admitAnonymous(ctx.channel())) {
                respondAndClose(ctx, HttpResponseStatus.TOO_MANY_REQUESTS,
                        "too many connections without credentials from this address\n");
                request.release();
                return;
            }
            ctx.channel().attr(CALLER).set(Optional.empty());
            ctx.fireChannelRead(request);
            return;
        }
        // The credential check reads the store: keep it off the event loop.
        ReadPauses.of(ctx.channel()).pause(ReadPauses.Reason.AUTHENTICATING);
        executor.execute(() -> {
            Optional<Caller> caller;
            boolean storeFailed = false;
            try {
                caller = authenticator.authenticate(authorization);
            } catch (StoreException e) {
                log.warn("authentication could not read the store", e);
                caller = Optional.empty();
                storeFailed = true;
            }
            Optional<Caller> result = caller;
            boolean unavailable = storeFailed;
            ctx.executor().execute(() -> {
                ReadPauses.of(ctx.channel()).resume(ReadPauses.Reason.AUTHENTICATING);
                if (result.isPresent()) {
                    caps.authenticated(ctx.channel());
                    ctx.channel().attr(CALLER).set(result);
                    ctx.fireChannelRead(request);
                } else {
                    log.debug("refused a WebSocket upgrade: {}", unavailable ? "store unavailable" : "wrong credentials");
                    respondAndClose(ctx, unavailable ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.UNAUTHORIZED,
                            unavailable ? "storage unavailable\n" : "wrong credentials\n");
                    request.release();
                }
            });
        });
    }

    /**
     * A WebSocket protocol violation (an oversized frame, a bad opcode) arrives here from the frame
     * decoder, which then discards the rest of the input. The close frame with its status is sent,
     * and the connection is closed a moment later: closing at once, with the client's unread bytes
     * still arriving, would make the kernel reset the connection and destroy the close frame before
     * the client reads it.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException violation) {
            ctx.channel().config().setAutoRead(true);
            ctx.writeAndFlush(new CloseWebSocketFrame(violation.closeStatus()))
                    .addListener(written -> ctx.executor().schedule(() -> {
                        ctx.close();
                    }, LINGER_SECONDS, TimeUnit.SECONDS));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String body) {
        FullHttpResponse response = response(status, body);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static void respondAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        FullHttpResponse response = response(status, body);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
