// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.ws.FrameCodec;
import org.svyaz.protocol.ws.FrameViolationException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.message.DeliveryRegistry;

/**
 * Handles the Frames {@link FrameCodec} reads from an established WebSocket. Requests run on the
 * worker executor, never on the event loop; responses to the server's pushes are matched by id.
 *
 * <p>The codec closes a connection that sends something other than a Frame (1003, 1007, 1009);
 * other connections are unaffected.
 */
public final class FrameHandler extends SimpleChannelInboundHandler<Frame> {
    private static final Logger log = LoggerFactory.getLogger(FrameHandler.class);

    /** What a new authenticated session is plugged into. */
    public interface SessionListener {
        /** Plugs the session in; the registration returned is closed when the connection closes. */
        DeliveryRegistry.Registration opened(Caller caller, WebSocketSession session);
    }

    private final Dispatcher dispatcher;
    private final Executor executor;
    private final InFlightRequests inFlight;
    private final SessionListener listener;
    private final int maxInFlight;
    private final int maxAnonymousInFlight;
    /** This connection's requests being handled; read only on the event loop. */
    private int running;
    /** Random, and tied to nothing: what per-connection limits (sealed sends) are kept by. */
    private final UUID connectionId = UUID.randomUUID();
    private WebSocketSession session;
    private Caller caller;
    private DeliveryRegistry.Registration registration;

    /**
     * The handler of one connection's frames, added after the WebSocket codec and aggregator
     * (ServerChannelInitializer). It opens its session on the handshake's HandshakeComplete event,
     * for the caller the upgrade left in the channel's attributes.
     *
     * @param executor where requests run; the server's worker pool, never the event loop
     */
    public FrameHandler(Dispatcher dispatcher, Executor executor, InFlightRequests inFlight, SessionListener listener) {
        this(dispatcher, executor, inFlight, listener, TransportLimits.DEFAULT_MAX_REQUESTS_IN_FLIGHT,
                TransportLimits.DEFAULT_MAX_ANONYMOUS_REQUESTS_IN_FLIGHT);
    }

    /**
     * @param maxInFlight requests of an authenticated connection handled at once; when that many
     *                    run, the connection is read no further until one is answered
     * @param maxAnonymousInFlight the same for a connection without credentials
     */
    public FrameHandler(Dispatcher dispatcher, Executor executor, InFlightRequests inFlight, SessionListener listener,
                        int maxInFlight, int maxAnonymousInFlight) {
        this.dispatcher = dispatcher;
        this.executor = executor;
        this.inFlight = inFlight;
        this.listener = listener;
        this.maxInFlight = maxInFlight;
        this.maxAnonymousInFlight = maxAnonymousInFlight;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            caller = ctx.channel().attr(UpgradeHandler.CALLER).get().orElse(null);
            session = new WebSocketSession(ctx.channel());
            if (caller != null) {
                registration = listener.opened(caller, session);
            }
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
        switch (frame.getKindCase()) {
            case REQUEST -> handle(ctx, frame.getRequest());
            case RESPONSE -> session.onResponse(frame.getResponse());
            case KIND_NOT_SET -> { } // the codec refuses these (FrameViolation.EMPTY)
        }
    }

    /**
     * Runs the request on the executor. Requests used to get a thread each without bound, so one
     * connection that pipelined requests could start any number; now at most {@code maxInFlight}
     * run, and the connection is not read meanwhile (a FlowControlHandler holds the frames already
     * decoded), so what waits stays in the client's socket, not in the server's memory.
     */
    private void handle(ChannelHandlerContext ctx, Request request) {
        inFlight.begin();
        running++;
        if (running >= (caller != null ? maxInFlight : maxAnonymousInFlight)) {
            ReadPauses.of(ctx.channel()).pause(ReadPauses.Reason.REQUESTS_IN_FLIGHT);
        }
        Caller requestCaller = caller;
        WebSocketSession requestSession = session;
        try {
            executor.execute(() -> {
                try {
                    Response response = dispatcher.dispatch(requestCaller, connectionId, request);
                    requestSession.send(Frame.newBuilder().setResponse(response).build());
                } finally {
                    inFlight.end();
                    ctx.executor().execute(() -> answered(ctx));
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.end();
            answered(ctx);
        }
    }

    private void answered(ChannelHandlerContext ctx) {
        running--;
        ReadPauses.of(ctx.channel()).resume(ReadPauses.Reason.REQUESTS_IN_FLIGHT);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (session != null) {
            session.onClosed();
            if (registration != null) {
                registration.close();
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FrameViolationException) {
            return; // the codec is closing the connection, once its close frame is written
        }
        // No addresses or identities in the log: the exception type and message are enough to debug.
        log.debug("closing a connection after {}: {}", cause.getClass().getSimpleName(), cause.getMessage());
        ctx.close();
    }

}
