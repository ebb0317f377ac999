// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.ws.FrameCodec;
import org.svyaz.protocol.ws.FrameViolationException;
import org.svyaz.protocol.ws.PendingRequests;

/**
 * One WebSocket to the server over TLS pinned to the invite link's key. Carries the device's
 * requests (matched to responses by id) and the server's pushes (answered by a {@link PushHandler}).
 * Endpoints from the descriptor are tried in order until one completes the handshake.
 */
public final class ServerConnection implements AutoCloseable {
    private static final int MAX_FRAME_BYTES = 2 * 1024 * 1024;
    /** The load tool's TLS contexts, by pinned key set ({@link #sharedContext}). */
    private static final ConcurrentHashMap<List<ByteString>, SslContext> SHARED_CONTEXTS = new ConcurrentHashMap<>();
    private final Threads threads;
    private final Channel channel;
    private final PendingRequests pending;
    private final CompletableFuture<Void> closedFuture;
    private final FlowMeter meter;
    private final StallDetector stallDetector;
    private volatile String route;
    private volatile String routeKey;
    private volatile Route winningRoute;
    private volatile List<String> failedRoutes;

    private ServerConnection(Threads threads, Channel channel, PendingRequests pending,
                             CompletableFuture<Void> closedFuture, FlowMeter meter, StallDetector stallDetector) {
        this.threads = threads;
        this.channel = channel;
        this.pending = pending;
        this.closedFuture = closedFuture;
        this.meter = meter;
        this.stallDetector = stallDetector;
        this.route = "unknown";
        this.routeKey = "";
        this.failedRoutes = List.of();
    }

    /**
     * Connects to the server of {@code link}; with credentials the connection is authenticated,
     * without it may only register.
     */
    public static ServerConnection connect(InviteLink link, Optional<DeviceCredentials> credentials,
                                           PushHandler pushHandler, Duration timeout) throws ConnectionException {
        return connect(link, List.of(), Optional.empty(), credentials, pushHandler, timeout);
    }

    /**
     * For many connections in one process (the load tool): straight to the first address of
     * {@code link}, with no route race and no DNS, on the event loops of {@code settings} (which
     * the caller owns and shuts down), from its source address and with its stall detection.
     * {@code pushHandler} runs on the event loop thread, so it must be quick and never block.
     */
    public static ServerConnection connectShared(InviteLink link, Optional<DeviceCredentials> credentials,
                                                 PushHandler pushHandler, Duration timeout,
                                                 SharedConnectionSettings settings) throws ConnectionException {
        Route route = Routes.of(link, List.of()).getFirst();
        ServerConnection connection = connect(route, sharedContext(link), credentials, pushHandler, timeout,
                new UpgradeTurn(), Threads.shared(settings.group()), settings.sourceAddress(),
                settings.quietBeforePing());
        connection.route = route.describe();
        connection.routeKey = route.key();
        connection.winningRoute = route;
        return connection;
    }

    /**
     * Races every route to the server of {@code link} (see {@link RouteRace}), falling back to the
     * given relays. The route whose {@link Route#key()} is {@code preferred} (the one that won last
     * time on this network) starts first.
     */
    public static ServerConnection connect(InviteLink link, List<RelayLink> relays, Optional<String> preferred,
                                           Optional<DeviceCredentials> credentials, PushHandler pushHandler,
                                           Duration timeout) throws ConnectionException {
        return connect(link, relays, preferred, false, credentials, pushHandler, timeout);
    }

    /**
     * With {@code relaysOnly} the client never touches the server's own names or addresses, not
     * even in DNS: for users in places where being seen trying to reach the server is itself a risk.
     */
    public static ServerConnection connect(InviteLink link, List<RelayLink> relays, Optional<String> preferred,
                                           boolean relaysOnly, Optional<DeviceCredentials> credentials,
                                           PushHandler pushHandler, Duration timeout) throws ConnectionException {
        return RouteRace.connect(link, relays, preferred, relaysOnly, credentials, pushHandler, timeout);
    }

    /**
     * One route, on threads of its own; the route race ({@link RouteRace}) calls it for each
     * route it starts.
     */
    static ServerConnection connect(Route route, SslContext ssl, Optional<DeviceCredentials> credentials,
                                    PushHandler pushHandler, Duration timeout, UpgradeTurn turn)
            throws ConnectionException {
        ServerConnection connection = connect(route, ssl, credentials, pushHandler, timeout, turn, Threads.own(),
                Optional.empty(), StallDetector.DEFAULT_QUIET);
        connection.route = route.describe();
        connection.routeKey = route.key();
        connection.winningRoute = route;
        return connection;
    }

    /** Names the route this connection won for, when it won a race within a route (DoH addresses). */
    void routeKey(String key) {
        routeKey = key;
    }

    /** Puts the routes that failed before this one won in front of those it knows already. */
    void addFailedRoutesBefore(List<String> earlier) {
        List<String> failed = new ArrayList<>(earlier);
        failed.addAll(failedRoutes);
        failedRoutes = List.copyOf(failed);
    }

    /** How this connection reaches the server, e.g. "direct 192.0.2.1:8443" or "relay 198.51.100.2:443". */
    public String route() {
        return route;
    }

    /** The route this connection took, so that other transfers (attachments) can take it too. */
    public Route winningRoute() {
        return winningRoute;
    }

    /** Identifies the winning route, to prefer it next time on the same network. */
    public String routeKey() {
        return routeKey;
    }

    /** The routes that had failed by the time this one won, each with the reason. */
    public List<String> failedRoutes() {
        return failedRoutes;
    }

    private static ServerConnection connect(Route route, SslContext ssl, Optional<DeviceCredentials> credentials,
                                            PushHandler pushHandler, Duration timeout, UpgradeTurn turn,
                                            Threads threads, Optional<InetAddress> sourceAddress,
                                            Duration quietBeforePing) throws ConnectionException {
        UpgradeTurn.Gate gate = new UpgradeTurn.Gate();
        Endpoint endpoint = route.endpoint();
        Optional<RelayLink> relay = route.relay();
        Optional<SslContext> relayTls = RouteTransport.relayContext(route);
        String host = endpoint.getHost();
        URI uri = URI.create("wss://" + Route.hostLiteral(host) + ":" + endpoint.getPort() + ApiPaths.WEBSOCKET);
        HttpHeaders headers = new DefaultHttpHeaders();
        credentials.ifPresent(c -> headers.set(HttpHeaderNames.AUTHORIZATION, c.toAuthorizationHeader()));
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(MAX_FRAME_BYTES)
                .handshakeTimeoutMillis(timeout.toMillis())
                .build();

        // The connection's request timeouts run on its event loops.
        PendingRequests pending = new PendingRequests(threads.group());
        CompletableFuture<Void> handshake = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        ExecutorService pushExecutor = threads.pushExecutor();
        // Kept beyond the pipeline (which drops its handlers when the channel closes): what the
        // connection carried and whether it froze are read after it closed.
        FlowMeter meter = new FlowMeter();
        ChannelHandler[] stall = StallDetector.handlers(quietBeforePing);
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(threads.group())
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(meter);
                            ch.pipeline().addLast(stall);
                            RouteTransport.addTo(ch, route, ssl, relayTls, timeout);
                            ch.pipeline().addLast("upgrade-gate", gate);
                            ch.pipeline().addLast(new HttpClientCodec());
                            ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
                            ch.pipeline().addLast(new WebSocketClientProtocolHandler(config));
                            ch.pipeline().addLast(new WebSocketFrameAggregator(MAX_FRAME_BYTES));
                            ch.pipeline().addLast(new FrameCodec(MAX_FRAME_BYTES));
                            ch.pipeline().addLast(new ClientFrameHandler(pending, pushHandler, route, pushExecutor,
                                    handshake, closed));
                        }
                    });
            Channel channel = (sourceAddress.isPresent()
                    ? bootstrap.connect(RouteTransport.remoteAddress(route), new InetSocketAddress(sourceAddress.get(), 0))
                    : bootstrap.connect(RouteTransport.remoteAddress(route))).sync().channel();
            ((SslHandler) channel.pipeline().get("server-tls")).handshakeFuture()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!turn.acquire(timeout)) {
                threads.shutdown();
                channel.close();
                throw new ConnectionException(UpgradeTurn.SUPERSEDED, null);
            }
            boolean upgraded = false;
            try {
                gate.open();
                handshake.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                upgraded = true;
            } finally {
                turn.release(upgraded);
            }
            return new ServerConnection(threads, channel, pending, closed, meter, (StallDetector) stall[1]);
        } catch (ExecutionException e) {
            threads.shutdown();
            Throwable cause = e.getCause();
            boolean unauthorized = cause instanceof WebSocketClientHandshakeException handshakeFailure
                    && handshakeFailure.response() != null && handshakeFailure.response().status().code() == 401;
            if (relay.isPresent() && hasCause(cause, NotSslRecordException.class)) {
                throw new ConnectionException("The relay at " + describe(relay.get()) + " did not accept the secret "
                        + "(it answered like a web site); the relay link may be outdated.", cause);
            }
            throw new ConnectionException(unauthorized
                    ? "The server does not accept this device's credentials."
                    : "The connection to " + ServerConnection.describe(endpoint) + relay.map(r -> " through the relay at " + describe(r))
                    .orElse("") + " failed: " + Causes.rootMessage(cause), cause, unauthorized);
        } catch (TimeoutException e) {
            threads.shutdown();
            throw new ConnectionException("The server at " + ServerConnection.describe(endpoint) + " did not answer in time.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            threads.shutdown();
            throw new ConnectionException("Interrupted while connecting.", e);
        } catch (RuntimeException e) {
            threads.shutdown();
            throw new ConnectionException("Cannot connect to " + ServerConnection.describe(endpoint) + ": " + Causes.rootMessage(e), e);
        } catch (Exception e) {
            // Netty's sync() rethrows connect failures (refused, unreachable) undeclared.
            threads.shutdown();
            throw new ConnectionException("Cannot connect to " + ServerConnection.describe(endpoint) + ": " + Causes.rootMessage(e), e);
        }
    }

    /**
     * The TLS handler towards the server. Without {@code sni} the ClientHello names no server, so a
     * censor matching the server's name there sees nothing to match; the pinned key still proves
     * who answered. The caller's timeout bounds the handshake.
     */
    static SslHandler serverTls(SslContext ssl, ByteBufAllocator allocator,
                                                     Optional<String> sni, int port, Duration timeout) {
        SslHandler tls = sni.isPresent()
                ? ssl.newHandler(allocator, sni.get(), port)
                : ssl.newHandler(allocator);
        tls.setHandshakeTimeoutMillis(timeout.toMillis());
        return tls;
    }

    /** The client TLS context that trusts exactly the descriptor's key pins. */
    static SslContext serverContext(InviteLink link) throws ConnectionException {
        return serverContext(link, SslProvider.JDK);
    }

    /**
     * The load tool's TLS context for {@code link}: one per pinned key set, shared by all its
     * connections, and on BoringSSL when it loads here (the server module brings it), so that the
     * tool's own handshakes take as little as possible of the cores it shares with the server it
     * measures. The interactive client keeps the JDK's TLS and a context per connection.
     */
    private static SslContext sharedContext(InviteLink link) throws ConnectionException {
        List<ByteString> pins = link.descriptor().getTlsKeyPinsList();
        SslContext cached = SHARED_CONTEXTS.get(pins);
        if (cached != null) {
            return cached;
        }
        SslContext made = serverContext(link, OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
        SslContext raced = SHARED_CONTEXTS.putIfAbsent(pins, made);
        return raced != null ? raced : made;
    }

    private static SslContext serverContext(InviteLink link, SslProvider provider) throws ConnectionException {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .protocols("TLSv1.3")
                    .trustManager(new PinnedTrustManager(link.descriptor().getTlsKeyPinsList().stream()
                            .map(ByteString::toByteArray).toList()))
                    // The pin is the identity check; the name in the certificate is irrelevant.
                    .endpointIdentificationAlgorithm(null)
                    .build();
        } catch (SSLException e) {
            throw new ConnectionException("TLS is not available in this Java runtime", e);
        }
    }

    private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(RelayLink relay) {
        return relay.descriptor().getHost() + ":" + relay.descriptor().getPort();
    }

    private static String describe(Endpoint endpoint) {
        return endpoint.getHost() + ":" + endpoint.getPort();
    }

    /**
     * The threads a connection runs on. A client's own connection has its own event loop and one
     * push thread, which keeps pushes in server order (and so messages in order for the user) while
     * the handler stores them. Shared threads serve many connections in one process.
     */
    private record Threads(EventLoopGroup group, ExecutorService pushExecutor, boolean owned) {
        static Threads own() {
            return new Threads(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()),
                    Executors.newSingleThreadExecutor(Thread.ofPlatform().name("svyaz-push").daemon(true).factory()),
                    true);
        }

        /** Pushes are handled on the connection's event loop thread: in order, and never blocking there. */
        static Threads shared(EventLoopGroup group) {
            return new Threads(group, ImmediateEventExecutor.INSTANCE, false);
        }

        void shutdown() {
            if (owned) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                pushExecutor.shutdownNow();
            }
        }

        void shutdownAndWait() {
            if (!owned) {
                return;
            }
            pushExecutor.shutdown();
            try {
                pushExecutor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** Sends a request; the future completes with the server's response or fails when the connection drops. */
    public CompletableFuture<Response> request(String path, Message body) {
        return request(path, body, Optional.empty());
    }

    /** As {@link #request(String, Message)}, and with a timeout it fails with a {@link TimeoutException} after it. */
    private CompletableFuture<Response> request(String path, Message body, Optional<Duration> timeout) {
        if (!channel.isActive()) {
            return CompletableFuture.failedFuture(new RequestNotSentException(null));
        }
        PendingRequests.Pending request = timeout.isPresent() ? pending.register(timeout.get()) : pending.register();
        long id = request.id();
        Frame frame = Frame.newBuilder()
                .setRequest(Request.newBuilder().setId(id).setPath(path).setBody(body.toByteString()))
                .build();
        channel.writeAndFlush(frame)
                .addListener(write -> {
                    if (!write.isSuccess()) {
                        pending.fail(id, new RequestNotSentException(write.cause()));
                    }
                });
        return request.response();
    }

    /** Sends a request and waits for the response. */
    public Response call(String path, Message body, Duration timeout) throws ConnectionException {
        try {
            // The request leaves the pending table when its time is up, even if no answer ever comes.
            return request(path, body, Optional.of(timeout)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException timedOut) {
                throw new ConnectionException("The server did not answer within " + timeout.toSeconds() + " s.",
                        timedOut);
            }
            throw new ConnectionException("The connection to the server broke: " + Causes.rootMessage(e.getCause()),
                    e.getCause(), false, e.getCause() instanceof RequestNotSentException);
        } catch (TimeoutException e) {
            throw new ConnectionException("The server did not answer within " + timeout.toSeconds() + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while waiting for the server.", e);
        }
    }

    /** The request was not written: the connection was closed before or while writing it. */
    private static final class RequestNotSentException extends IOException {
        RequestNotSentException(Throwable cause) {
            super("the connection was closed before the request was sent", cause);
        }
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** The bytes this connection carried both ways so far, TLS and relay framing included. */
    public long bytesCarried() {
        return meter.carried();
    }

    /** Whether the connection was closed because nothing came from the server any more: frozen or dead. */
    public boolean stalled() {
        return stallDetector.stalled();
    }

    /**
     * Runs {@code rotate} once this connection has carried {@code bytes} (on the connection's event
     * loop: it must hand the work to another thread).
     */
    public void rotateAfter(long bytes, Runnable rotate) {
        meter.rotateAt(bytes, rotate);
    }

    /** Requests sent and not yet answered. */
    public int requestsInFlight() {
        return pending.size();
    }

    /**
     * Stops reading from the socket: from now on nothing the server sends reaches this client,
     * while the server still holds the connection, as when a mobile network silently stops
     * carrying packets. For the load tool's reconnect storm; a client never calls it.
     *
     * <p>Done on the connection's event loop, and waited for: set from another thread, the flag only
     * schedules taking the read interest away, and a push that came meanwhile was still read (the
     * storm benchmark then counted a few messages as arriving while the devices were cut off).
     */
    public void stopReading() {
        channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Completes when the connection closes, for whatever reason. */
    public CompletableFuture<Void> closed() {
        return closedFuture;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        threads.shutdownAndWait();
    }

    /** Routes inbound frames: responses to their waiting requests, pushes to the push handler. */
    private static final class ClientFrameHandler extends SimpleChannelInboundHandler<Frame> {
        private final PendingRequests pending;
        private final PushHandler pushHandler;
        private final Route route;
        private final ExecutorService pushExecutor;
        private final CompletableFuture<Void> handshake;
        private final CompletableFuture<Void> closed;

        ClientFrameHandler(PendingRequests pending, PushHandler pushHandler,
                           Route route, ExecutorService pushExecutor, CompletableFuture<Void> handshake,
                           CompletableFuture<Void> closed) {
            this.pending = pending;
            this.pushHandler = pushHandler;
            this.route = route;
            this.pushExecutor = pushExecutor;
            this.handshake = handshake;
            this.closed = closed;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                StallDetector stallDetector = ctx.pipeline().get(StallDetector.class);
                if (stallDetector != null) {
                    stallDetector.webSocketOpened();
                }
                handshake.complete(null);
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            if (frame.hasResponse()) {
                pending.complete(frame.getResponse());
            } else if (frame.hasRequest()) {
                Request push = frame.getRequest();
                Channel channel = ctx.channel();
                pushExecutor.execute(() -> {
                    Response answer = pushHandler.onPush(push, route);
                    if (answer != null && channel.isActive()) {
                        Frame reply = Frame.newBuilder().setResponse(answer.toBuilder().setId(push.getId())).build();
                        channel.writeAndFlush(reply);
                    }
                });
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshake.completeExceptionally(cause);
            if (!(cause instanceof FrameViolationException)) {
                ctx.close(); // the codec closes after a violation itself, once its close frame is written
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            IOException closedError = new IOException("connection closed");
            handshake.completeExceptionally(closedError);
            pending.failAll(closedError);
            closed.complete(null);
            super.channelInactive(ctx);
        }
    }
}
