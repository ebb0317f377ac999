// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
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
    /**
     * HTTP's date, as nginx writes it: always two digits for the day ("Mon, 07 Dec 2026 ..."),
     * which Java's RFC 1123 format does not do.
     */
    static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
            Locale.ENGLISH);
    /** nginx numbers its multipart boundaries from one, twenty digits wide. */
    private static final AtomicLong BOUNDARIES = new AtomicLong();
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
            sendFile(ctx, keepAlive, request, page.get(), head);
        } else {
            send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, errorPage("404 Not Found"), "text/html", head);
        }
    }

    /**
     * A file as nginx serves one: {@code Last-Modified}, {@code ETag} and {@code Accept-Ranges}; a
     * 304 for a matching {@code If-None-Match} or an exactly matching {@code If-Modified-Since};
     * ranges as nginx reads them ({@link ByteRanges}): one as 206, several as a multipart 206, none
     * inside the file (or a malformed header) as 416.
     */
    private static void sendFile(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request,
                                 DecoySite.Page page, boolean head) {
        String lastModified = HTTP_DATE.format(
                ZonedDateTime.ofInstant(Instant.ofEpochSecond(page.modifiedSeconds()), ZoneOffset.UTC));
        String noneMatch = request.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        boolean notModified = noneMatch != null
                ? noneMatch.equals("*") || Arrays.asList(noneMatch.split("\\s*,\\s*")).contains(page.etag())
                : lastModified.equals(request.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE));
        if (notModified) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER);
            response.headers().set("Server", "nginx");
            response.headers().set("Date", now());
            response.headers().set("Last-Modified", lastModified);
            write(ctx, keepAlive, response, page.etag(), false, null);
            return;
        }
        byte[] body = page.body();
        ByteRanges.Answer ranges = ByteRanges.parse(request.headers().get(HttpHeaderNames.RANGE), body.length);
        if (!ranges.whole() && ranges.spans().isEmpty()) {
            FullHttpResponse refused = response(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    errorPage("416 Requested Range Not Satisfiable"), "text/html", head);
            write(ctx, keepAlive, refused, null, false, "bytes */" + body.length);
            return;
        }
        if (ranges.spans().size() > 1) {
            String boundary = String.format(Locale.ROOT, "%020d", BOUNDARIES.incrementAndGet());
            FullHttpResponse response = response(HttpResponseStatus.PARTIAL_CONTENT,
                    multipart(body, page.contentType(), ranges.spans(), boundary),
                    "multipart/byteranges; boundary=" + boundary, head);
            response.headers().set("Last-Modified", lastModified);
            write(ctx, keepAlive, response, page.etag(), false, null);
            return;
        }
        if (ranges.spans().size() == 1) {
            ByteRanges.Span span = ranges.spans().getFirst();
            FullHttpResponse response = response(HttpResponseStatus.PARTIAL_CONTENT,
                    Arrays.copyOfRange(body, (int) span.start(), (int) span.end()), page.contentType(), head);
            response.headers().set("Last-Modified", lastModified);
            write(ctx, keepAlive, response, page.etag(), false,
                    "bytes " + span.start() + "-" + (span.end() - 1) + "/" + body.length);
            return;
        }
        FullHttpResponse response = response(HttpResponseStatus.OK, body, page.contentType(), head);
        response.headers().set("Last-Modified", lastModified);
        write(ctx, keepAlive, response, page.etag(), true, null);
    }

    /**
     * Several ranges in one answer, laid out as nginx lays them out: before each part a line
     * break, the boundary, its type and range; after the last, the closing boundary.
     */
    private static byte[] multipart(byte[] body, String contentType, List<ByteRanges.Span> spans, String boundary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteRanges.Span span : spans) {
            out.writeBytes(("\r\n--" + boundary + "\r\nContent-Type: " + contentType + "\r\nContent-Range: bytes "
                    + span.start() + "-" + (span.end() - 1) + "/" + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, (int) span.start(), (int) span.length());
        }
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
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
        write(ctx, keepAlive, response(status, body, contentType, head), null, false, null);
    }

    /**
     * The response's first headers, in nginx's order and spelling (capitalised: HTTP/1.1 sends names
     * as written, and Netty's constants are lower case), with its name.
     */
    private static FullHttpResponse response(HttpResponseStatus status, byte[] body, String contentType, boolean head) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers().set("Server", "nginx");
        response.headers().set("Date", now());
        response.headers().set("Content-Type", contentType);
        response.headers().set("Content-Length", body.length);
        return response;
    }

    /**
     * Adds {@code Connection}, then (for files) {@code ETag} and {@code Accept-Ranges} or
     * {@code Content-Range}, as nginx orders them, and sends.
     */
    private static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response, String etag,
                              boolean acceptRanges, String contentRange) {
        response.headers().set("Connection",
                keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        if (etag != null) {
            response.headers().set("ETag", etag);
        }
        if (acceptRanges) {
            response.headers().set("Accept-Ranges", HttpHeaderValues.BYTES);
        }
        if (contentRange != null) {
            response.headers().set("Content-Range", contentRange);
        }
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String now() {
        return HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
