// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * A running relay: TLS under its own innocuous name, then the secret gate, then either a tunnel to
 * the server or the decoy web site. It keeps no record of who connected; it counts connections only
 * to enforce its cap.
 */
public final class RelayServer implements AutoCloseable {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;
    private final RelayKeys keys;
    private final RelayConfig config;
    private final AtomicLong tunnels;
    private final ConnectionSlots slots;

    private RelayServer(EventLoopGroup boss, EventLoopGroup workers, Channel channel, RelayKeys keys,
                        RelayConfig config, AtomicLong tunnels, ConnectionSlots slots) {
        this.slots = slots;
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
        this.keys = keys;
        this.config = config;
        this.tunnels = tunnels;
    }

    public static RelayServer start(RelayConfig config) throws IOException, InterruptedException {
        RelayKeys keys = RelayKeys.loadOrCreate(config.dataDir(), config.sni(), config.certificate(), config.key());
        SslContext tls = SslContextBuilder.forServer(keys.tlsKey(), keys.chain().toArray(X509Certificate[]::new))
                .sslProvider(SslProvider.JDK)
                // A web server answers ALPN as nginx with HTTP/2 on does: h2 for a browser, HTTP/1.1 for
                // the rest. One that ignores ALPN, or knows only HTTP/1.1, stands out.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
        RelayToken tokens = new RelayToken(keys.secret());
        Path site = config.site().isPresent() ? config.site().get() : GeneratedSite.ensure(config.dataDir().resolve("site"));
        RelayPipelines pipelines = new RelayPipelines(new DecoySite(site), config.upstream(), config.turnUpstream(),
                config.decoyIdleTimeout());
        ConnectionSlots slots = new ConnectionSlots(config.maxConnections(), config.maxWithoutTokenPerAddress());
        AtomicLong tunnels = new AtomicLong();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (!slots.admit(ch)) {
                                ch.close();
                                return;
                            }
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0,
                                    config.idleTimeout().toSeconds(), TimeUnit.SECONDS));
                            ch.pipeline().addLast("idle-close", new ChannelDuplexHandler() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                                    if (event instanceof IdleStateEvent) {
                                        ctx.close();
                                    } else {
                                        super.userEventTriggered(ctx, event);
                                    }
                                }
                            });
                            ch.pipeline().addLast("gate", new SecretGate(tokens, Clock.systemUTC(), pipelines, tunnel -> {
                                tunnels.incrementAndGet();
                                slots.tunnelOpened(tunnel);
                            }));
                        }
                    })
                    .bind(config.listen()).sync().channel();
            return new RelayServer(boss, workers, channel, keys, config, tunnels, slots);
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** How many connections presented the secret since start (no addresses, only a count). */
    public long tunnelsOpened() {
        return tunnels.get();
    }

    /** Connections open now, tunnels and others. */
    public int connectionsOpen() {
        return slots.open().size();
    }

    /**
     * Bytes written to connections but not yet taken by them, in all: what a visitor that sends
     * and never reads makes the relay hold.
     */
    long bytesWaitingToBeSent() {
        long waiting = 0;
        for (Channel connection : slots.open()) {
            ChannelOutboundBuffer buffer = connection.unsafe().outboundBuffer();
            waiting += buffer == null ? 0 : buffer.totalPendingWriteBytes();
        }
        return waiting;
    }

    /** Whether this start made the relay's secret (its first start), so the link is new too. */
    public boolean secretCreated() {
        return keys.secretCreated();
    }

    /** The file that keeps the relay's secret, readable by its owner only. */
    public Path secretFile() {
        return config.dataDir().resolve(RelayKeys.SECRET);
    }

    /**
     * The shareable link for clients of the server with {@code serverIdentityKey}, naming
     * {@code publicHost:publicPort} as the address clients should dial.
     */
    public RelayLink link(String publicHost, int publicPort, byte[] serverIdentityKey) {
        return new RelayLink(RelayDescriptor.newBuilder()
                .setHost(publicHost)
                .setPort(publicPort)
                .setSni(config.sni())
                .setTlsKeyPin(ByteString.copyFrom(keys.pin()))
                .setSecret(ByteString.copyFrom(keys.secret()))
                .setServerIdentityKey(ByteString.copyFrom(serverIdentityKey))
                .build());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
