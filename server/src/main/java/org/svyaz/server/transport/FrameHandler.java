// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.Dispatcher;

/**
 * Reads protobuf frames from an established WebSocket. Requests run on the worker executor, never
 * on the event loop; responses to the server's pushes are matched by id.
 *
 * <p>A frame that is not a valid Frame message is a protocol violation: the connection is closed
 * with 1007 (invalid payload). A text frame is closed with 1003. Other connections are unaffected.
 */
public final class FrameHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(FrameHandler.class);

    /** What a new authenticated session is plugged into. */
    public interface SessionListener {
        void opened(Caller caller, WebSocketSession session);

        void closed(Caller caller, WebSocketSession session);
    }

    private final Dispatcher dispatcher;
    private final Executor executor;
    private final InFlightRequests inFlight;
    private final SessionListener listener;
    private WebSocketSession session;
    private Caller caller;

    /**
     * The handler of one connection's frames, added after the WebSocket codec and aggregator
     * (ServerChannelInitializer). It opens its session on the handshake's HandshakeComplete event,
     * for the caller the upgrade left in the channel's attributes.
     *
     * @param executor where requests run; the server's worker pool, never the event loop
     */
    public FrameHandler(Dispatcher dispatcher, Executor executor, InFlightRequests inFlight, SessionListener listener) {
        this.dispatcher = dispatcher;
        this.executor = executor;
        this.inFlight = inFlight;
        this.listener = listener;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            caller = ctx.channel().attr(UpgradeHandler.CALLER).get().orElse(null);
            session = new WebSocketSession(ctx.channel());
            if (caller != null) {
                listener.opened(caller, session);
            }
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!(frame instanceof BinaryWebSocketFrame)) {
            violation(ctx, WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "only binary frames are accepted");
            return;
        }
        Frame parsed;
        try {
            parsed = Frame.parseFrom(ByteBufUtil.getBytes(frame.content()));
        } catch (InvalidProtocolBufferException e) {
            violation(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "malformed frame");
            return;
        }
        switch (parsed.getKindCase()) {
            case REQUEST -> handle(parsed.getRequest());
            case RESPONSE -> session.onResponse(parsed.getResponse());
            case KIND_NOT_SET -> violation(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "empty frame");
        }
    }

    private void handle(Request request) {
        inFlight.begin();
        Caller requestCaller = caller;
        WebSocketSession requestSession = session;
        try {
            executor.execute(() -> {
                try {
                    Response response = dispatcher.dispatch(requestCaller, request);
                    requestSession.send(Frame.newBuilder().setResponse(response).build());
                } finally {
                    inFlight.end();
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.end();
        }
    }

    private static void violation(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (session != null) {
            session.onClosed();
            if (caller != null) {
                listener.closed(caller, session);
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // No addresses or identities in the log: the exception type and message are enough to debug.
        log.debug("closing a connection after {}: {}", cause.getClass().getSimpleName(), cause.getMessage());
        ctx.close();
    }

}
