// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.util.concurrent.Executor;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.ws.FrameCodec;
import org.svyaz.server.api.Dispatcher;

/**
 * The pipeline reads like the protocol: TLS, HTTP, attachments (streamed), the authenticated
 * upgrade, WebSocket, protobuf frames (FrameCodec), their handling (FrameHandler). Around them,
 * what bounds a connection: its slot (ConnectionCaps), the deadline for a request head, and the
 * pauses in reading while answers are not taken (WritabilityPause) or requests run (FrameHandler).
 */
public final class ServerChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_HTTP_REQUEST_BYTES = 16 * 1024;

    private final SslContext sslContext;
    private final Authenticator authenticator;
    private final Dispatcher dispatcher;
    private final Executor executor;
    private final InFlightRequests inFlight;
    private final FrameHandler.SessionListener sessions;
    private final TransportLimits limits;
    private final BlobHandler.Blobs blobs;
    private final ConnectionCaps caps;
    private final WebSocketServerProtocolConfig webSocket;

    ServerChannelInitializer(SslContext sslContext, Authenticator authenticator, Dispatcher dispatcher,
                             Executor executor, InFlightRequests inFlight, FrameHandler.SessionListener sessions,
                             TransportLimits limits, BlobHandler.Blobs blobs, ConnectionCaps caps) {
        this.sslContext = sslContext;
        this.authenticator = authenticator;
        this.dispatcher = dispatcher;
        this.executor = executor;
        this.inFlight = inFlight;
        this.sessions = sessions;
        this.limits = limits;
        this.blobs = blobs;
        this.caps = caps;
        // Immutable, so one for every connection rather than one each.
        this.webSocket = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ApiPaths.WEBSOCKET)
                .handshakeTimeoutMillis(10_000)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        // Only binary frames are accepted (FrameCodec refuses text), so a UTF-8
                        // validator would be one more pipeline entry per connection checking nothing.
                        .withUTF8Validator(false)
                        .maxFramePayloadLength(limits.maxFrameBytes())
                        .allowExtensions(false)
                        // UpgradeHandler closes violators itself, after the client could read why.
                        .closeOnProtocolViolation(false)
                        .build())
                .build();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        // Over a cap: closed before the TLS handshake costs anything.
        if (!caps.admit(channel)) {
            channel.close();
            return;
        }
        RequestHeadDeadline headDeadline = new RequestHeadDeadline(limits.requestHeadTimeout());
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("tls", sslContext.newHandler(channel.alloc()));
        pipeline.addLast("idle-close", new IdleCloseHandler(limits.idleTimeout()));
        pipeline.addLast("writability", WritabilityPause.INSTANCE);
        pipeline.addLast("head-bytes", headDeadline.bytes());
        pipeline.addLast("http", new HttpServerCodec());
        pipeline.addLast("head-requests", headDeadline.requests());
        // Attachments stream through here, before anything collects whole requests.
        pipeline.addLast("chunked-writer", new ChunkedWriteHandler());
        pipeline.addLast("blobs", new BlobHandler(blobs, authenticator, executor));
        pipeline.addLast("http-aggregator", new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
        pipeline.addLast("upgrade", new UpgradeHandler(authenticator, executor, caps, headDeadline));
        pipeline.addLast("websocket", new WebSocketServerProtocolHandler(webSocket));
        pipeline.addLast("ws-aggregator", new WebSocketFrameAggregator(limits.maxFrameBytes()));
        pipeline.addLast("frame-codec", new FrameCodec(limits.maxFrameBytes()));
        // Frames decoded from bytes already read wait here while FrameHandler pauses reading.
        pipeline.addLast("frame-flow", new FlowControlHandler());
        pipeline.addLast("frames", new FrameHandler(dispatcher, executor, inFlight, sessions,
                limits.maxRequestsInFlight(), limits.maxAnonymousRequestsInFlight()));
    }
}
