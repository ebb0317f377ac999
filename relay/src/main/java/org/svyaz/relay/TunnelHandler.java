// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Queue;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * Splices a client's stream to the server. The bytes are the client's own TLS session with the
 * server, so the relay forwards what it cannot read. Reads on each side resume only when the write
 * to the other side has finished, so a slow side slows the fast one instead of filling memory.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress upstream;
    private final Queue<Object> pending = new ArrayDeque<>();
    private Channel server;

    TunnelHandler(InetSocketAddress upstream) {
        this.upstream = upstream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        new Bootstrap()
                .group(client.eventLoop())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ServerSide(client))
                .connect(upstream)
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        drop();
                        client.close();
                        return;
                    }
                    server = connected.channel();
                    Object message;
                    while ((message = pending.poll()) != null) {
                        server.write(message);
                    }
                    server.flush();
                    server.read();
                    client.read();
                });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (server == null) {
            pending.add(message); // bytes that followed the token, before the server connection is up
            return;
        }
        server.writeAndFlush(message).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess()) {
                ctx.channel().read();
            } else {
                written.channel().close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        drop();
        if (server != null) {
            closeOnFlush(server);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeOnFlush(ctx.channel());
    }

    private void drop() {
        Object message;
        while ((message = pending.poll()) != null) {
            ReferenceCountUtil.release(message);
        }
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The server's bytes back to the client, with the same pacing. */
    private static final class ServerSide extends ChannelInboundHandlerAdapter {
        private final Channel client;

        ServerSide(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            client.writeAndFlush(message).addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    ctx.channel().read();
                } else {
                    written.channel().close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(client);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeOnFlush(ctx.channel());
        }
    }
}
