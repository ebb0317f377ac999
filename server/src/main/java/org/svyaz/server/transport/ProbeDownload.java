// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
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
    private ProbeDownload() {}

    /** The answer to {@code request}: 200 with the bytes, 405 for another method, 400 for a bad size. */
    static FullHttpResponse respond(FullHttpRequest request, ByteBufAllocator allocator) {
        if (!HttpMethod.GET.equals(request.method())) {
            return text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
        }
        List<String> values = new QueryStringDecoder(request.uri()).parameters().get("bytes");
        int bytes;
        try {
            bytes = values == null || values.size() != 1 ? -1 : Integer.parseInt(values.getFirst());
        } catch (NumberFormatException e) {
            bytes = -1;
        }
        if (bytes < 0 || bytes > ApiPaths.PROBE_DOWNLOAD_MAX_BYTES) {
            return text(HttpResponseStatus.BAD_REQUEST,
                    "bytes must be a number from 0 to " + ApiPaths.PROBE_DOWNLOAD_MAX_BYTES + "\n");
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                allocator.buffer(bytes).writeZero(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(response, bytes);
        return response;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
