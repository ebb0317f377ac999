// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.store.BlobStore;

/** The listening socket: Netty event loops that only do I/O; requests run on {@code executor}. */
public final class TransportServer implements AutoCloseable {
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Channel serverChannel;
    private final InFlightRequests inFlight;
    private final ConnectionCaps caps;

    private TransportServer(EventLoopGroup bossGroup, EventLoopGroup workerGroup, Channel serverChannel,
                            InFlightRequests inFlight, ConnectionCaps caps) {
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.serverChannel = serverChannel;
        this.inFlight = inFlight;
        this.caps = caps;
    }

    public static TransportServer start(InetSocketAddress listen, PrivateKey tlsKey, X509Certificate certificate,
                                        Authenticator authenticator, Dispatcher dispatcher, Executor executor,
                                        FrameHandler.SessionListener sessions, TransportLimits limits,
                                        BlobStore blobStore, BlobLimits blobLimits)
            throws SSLException, InterruptedException {
        SslContext sslContext = SslContextBuilder.forServer(tlsKey, certificate)
                .sslProvider(tlsProvider())
                .protocols("TLSv1.3")
                .build();
        InFlightRequests inFlight = new InFlightRequests();
        ConnectionCaps caps = new ConnectionCaps(limits);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ServerChannelInitializer(sslContext, authenticator, dispatcher, executor,
                            inFlight, sessions, limits, new BlobHandler.Blobs(blobStore, blobLimits), caps))
                    .bind(listen).sync().channel();
            return new TransportServer(boss, workers, channel, inFlight, caps);
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * BoringSSL when its native library loads here, else the JDK's TLS. Measured in a reconnect
     * storm, the JDK's pure-Java X25519 key agreement was about half the server's CPU per login.
     */
    static SslProvider tlsProvider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Connections holding a slot now. */
    public int connectionsOpen() {
        return caps.open().size();
    }

    /**
     * Bytes of answers the server holds for its connections, encrypted and not yet taken by the
     * kernel: what clients that do not read cost the server's memory.
     */
    public long bytesWaitingToBeSent() {
        long waiting = 0;
        for (Channel connection : caps.open()) {
            ChannelOutboundBuffer buffer = connection.unsafe().outboundBuffer();
            waiting += buffer == null ? 0 : buffer.totalPendingWriteBytes();
        }
        return waiting;
    }

    /** Stops accepting connections; established ones keep working. */
    public void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    /** Waits for requests being handled to be answered. */
    public boolean awaitRequests(Duration timeout) throws InterruptedException {
        return inFlight.awaitIdle(timeout);
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
