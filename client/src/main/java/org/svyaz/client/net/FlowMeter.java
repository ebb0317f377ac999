// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the bytes a connection carried both ways, as a censor that freezes flows after so many
 * kilobytes counts them (since 2025 flows to foreign hosting in Russia freeze after 16-20 KB),
 * and says once when they reach the mark set with {@link #rotateAt}: the moment to move to a fresh
 * flow before this one freezes. First in the pipeline, so TLS and relay framing count too.
 */
final class FlowMeter extends ChannelDuplexHandler {
    private final AtomicLong carried = new AtomicLong();
    private final AtomicBoolean told = new AtomicBoolean();
    private volatile long mark = Long.MAX_VALUE;
    private volatile Runnable atMark = () -> { };

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
        if (message instanceof ByteBuf bytes) {
            add(bytes.readableBytes());
        }
        super.channelRead(ctx, message);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) throws Exception {
        if (message instanceof ByteBuf bytes) {
            add(bytes.readableBytes());
        }
        super.write(ctx, message, promise);
    }

    /** Runs {@code then} (on the event loop: it must not block) once {@code bytes} have crossed. */
    void rotateAt(long bytes, Runnable then) {
        atMark = then;
        mark = bytes;
        add(0);
    }

    long carried() {
        return carried.get();
    }

    private void add(long bytes) {
        if (carried.addAndGet(bytes) >= mark && told.compareAndSet(false, true)) {
            atMark.run();
        }
    }
}
