// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.security.MessageDigest;
import java.time.Clock;
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
import org.svyaz.protocol.RelayToken;

/**
 * Decides, from the first bytes inside the TLS, whether a connection is a Svyaz client or anyone
 * else. A client opens with a 32-byte {@link RelayToken}: the one derived from the relay's secret,
 * or one the server granted to an account and that has not expired. Anything else (a browser, a
 * scanner, a censor's active probe, an expired grant) is handed, bytes and all, to the decoy web
 * site, so the relay answers it exactly like an ordinary web server.
 *
 * <p>Every token starts with the same four bytes, so an HTTP request is told apart (and answered)
 * after its first four; a connection that sends a matching prefix and then stalls gets the web site
 * after a timeout, as a slow browser would.
 */
final class SecretGate extends ByteToMessageDecoder {
    private static final long DECISION_TIMEOUT_SECONDS = 10;

    private final RelayToken tokens;
    private final byte[] prefix;
    private final Clock clock;
    private final Consumer<Channel> onTunnel;
    private final RelayPipelines pipelines;
    private ScheduledFuture<?> timeout;

    SecretGate(RelayToken tokens, Clock clock, RelayPipelines pipelines, Consumer<Channel> onTunnel) {
        this.tokens = tokens;
        this.prefix = tokens.prefix();
        this.clock = clock;
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
        int prefixSeen = Math.min(in.readableBytes(), RelayToken.PREFIX_BYTES);
        byte[] start = ByteBufUtil.getBytes(in, in.readerIndex(), prefixSeen);
        if (!MessageDigest.isEqual(start, Arrays.copyOf(prefix, prefixSeen))) {
            timeout.cancel(false);
            pipelines.toDecoy(ctx, this);
        } else if (in.readableBytes() >= RelayToken.BYTES) {
            timeout.cancel(false);
            byte[] token = ByteBufUtil.getBytes(in, in.readerIndex(), RelayToken.BYTES);
            if (tokens.accepts(token, clock.instant().getEpochSecond())) {
                in.skipBytes(RelayToken.BYTES);
                onTunnel.accept(ctx.channel());
                pipelines.toTunnel(ctx, this);
            } else {
                pipelines.toDecoy(ctx, this);
            }
        }
        // Otherwise: a matching prefix so far; wait for the whole token.
    }
}
