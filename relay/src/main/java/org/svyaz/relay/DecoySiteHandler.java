// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Answers HTTP like a small static web server. Requests are not logged. A visitor that sends
 * requests without reading the answers is read no further until it has taken them, so it cannot
 * make the relay hold its answers in memory.
 */
final class DecoySiteHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final DecoySite site;

    DecoySiteHandler(DecoySite site) {
        this.site = site;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (!result.isSuccess()) {
            send(ctx, false, HttpResponseStatus.BAD_REQUEST, errorPage("400 Bad Request"), "text/html", false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            send(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, errorPage("405 Not Allowed"), "text/html", false);
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        Optional<DecoySite.Page> page = site.page(request.uri());
        if (page.isPresent()) {
            send(ctx, keepAlive, HttpResponseStatus.OK, page.get().body(), page.get().contentType(), head);
        } else {
            send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, errorPage("404 Not Found"), "text/html", head);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    /** An error page as nginx, the most common web server, writes it: a relay should look like one. */
    static byte[] errorPage(String title) {
        return ("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title
                + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body,
                             String contentType, boolean head) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        // In nginx's order, with its name.
        response.headers().set(HttpHeaderNames.SERVER, "nginx");
        response.headers().set(HttpHeaderNames.DATE,
                DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
