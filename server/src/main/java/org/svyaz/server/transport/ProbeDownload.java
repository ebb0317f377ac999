// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedInput;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.svyaz.protocol.ApiPaths;

/**
 * The probe's timed transfer ({@link ApiPaths#PROBE_DOWNLOAD}): N zero bytes, so a client can tell
 * a censor that throttles or freezes the connection after the handshake from one that lets it
 * through. Zeros are as good as random bytes here: they travel inside TLS, which hides them.
 * No credentials are asked for and nothing about the caller is recorded.
 */
final class ProbeDownload {
    private static final int CHUNK_BYTES = 16 * 1024;

    private ProbeDownload() {}

    /** Zeros every download sends from, shared and never released: no download allocates its own. */
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(CHUNK_BYTES).writeZero(CHUNK_BYTES).asReadOnly());

    /**
     * Answers {@code request} and closes the connection: 200 with the bytes, 405 for another
     * method, 400 for a bad size. The bytes go out a chunk at a time, as the client takes them
     * (the pipeline's {@code ChunkedWriteHandler}), so a client that never reads costs one chunk,
     * not the whole download.
     */
    static void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!HttpMethod.GET.equals(request.method())) {
            close(ctx.writeAndFlush(text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n")));
            return;
        }
        List<String> values = RequestTargets.parameters(request.uri()).map(query -> query.get("bytes")).orElse(null);
        int bytes;
        try {
            bytes = values == null || values.size() != 1 ? -1 : Integer.parseInt(values.getFirst());
        } catch (NumberFormatException e) {
            bytes = -1;
        }
        if (bytes < 0 || bytes > ApiPaths.PROBE_DOWNLOAD_MAX_BYTES) {
            close(ctx.writeAndFlush(text(HttpResponseStatus.BAD_REQUEST,
                    "bytes must be a number from 0 to " + ApiPaths.PROBE_DOWNLOAD_MAX_BYTES + "\n")));
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, bytes);
        ctx.write(response);
        close(ctx.writeAndFlush(new HttpChunkedInput(new Zeros(bytes))));
    }

    /** One download per connection: whoever wants more bytes pays for another TLS handshake. */
    private static void close(ChannelFuture written) {
        written.addListener(ChannelFutureListener.CLOSE);
    }

    /** {@code length} zero bytes as chunks of the shared buffer. */
    private static final class Zeros implements ChunkedInput<ByteBuf> {
        private final long length;
        private long sent;

        Zeros(long length) {
            this.length = length;
        }

        @Override
        public boolean isEndOfInput() {
            return sent >= length;
        }

        @Override
        public void close() {
        }

        @Override
        @Deprecated
        public ByteBuf readChunk(ChannelHandlerContext ctx) {
            return readChunk(ctx.alloc());
        }

        @Override
        public ByteBuf readChunk(ByteBufAllocator allocator) {
            if (isEndOfInput()) {
                return null;
            }
            int size = (int) Math.min(CHUNK_BYTES, length - sent);
            sent += size;
            return ZEROS.retainedSlice(0, size);
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public long progress() {
            return sent;
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
