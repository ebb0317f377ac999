// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import org.svyaz.protocol.RelayLink;

/**
 * Decides, from the first bytes inside the TLS, whether a connection is a Svyaz client or anyone
 * else. A client opens with the 32-byte token derived from the relay's secret; anything else (a
 * browser, a scanner, a censor's active probe) is handed, bytes and all, to the decoy web site, so
 * the relay answers it exactly like an ordinary web server.
 *
 * <p>The decision is made as soon as the bytes seen so far stop matching the token, so an HTTP
 * request is answered at once; a connection that sends a matching prefix and then stalls gets the
 * web site after a timeout, as a slow browser would.
 */
final class SecretGate extends ByteToMessageDecoder {
    private static final long DECISION_TIMEOUT_SECONDS = 10;

    private final byte[] token;
    private final Consumer<Channel> onTunnel;
    private final RelayPipelines pipelines;
    private ScheduledFuture<?> timeout;

    SecretGate(byte[] token, RelayPipelines pipelines, Consumer<Channel> onTunnel) {
        this.token = token.clone();
        this.pipelines = pipelines;
        this.onTunnel = onTunnel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (ctx.pipeline().context(this) != null) {
                pipelines.toDecoy(ctx, this);
            }
        }, DECISION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int seen = Math.min(in.readableBytes(), RelayLink.TOKEN_BYTES);
        byte[] prefix = ByteBufUtil.getBytes(in, in.readerIndex(), seen);
        byte[] expected = Arrays.copyOf(token, seen);
        if (!MessageDigest.isEqual(prefix, expected)) {
            timeout.cancel(false);
            pipelines.toDecoy(ctx, this);
        } else if (seen == RelayLink.TOKEN_BYTES) {
            timeout.cancel(false);
            in.skipBytes(RelayLink.TOKEN_BYTES);
            onTunnel.accept(ctx.channel());
            pipelines.toTunnel(ctx, this);
        }
        // Otherwise: a matching prefix so far; wait for more bytes.
    }
}
