// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;

/**
 * Uploads and downloads attachment blobs along a {@link Route} (the one the WebSocket won, so a
 * relay carries attachments too). Both directions resume: an upload asks the server how much it
 * has and sends the rest, a download asks for the bytes after those it already has. A connection
 * that makes no progress for {@code quiet} is dropped and another one takes over, up to
 * {@link #ATTEMPTS} times.
 */
public final class BlobClient implements AutoCloseable {
    static final int ATTEMPTS = 8;
    private static final int CHUNK = 64 * 1024;

    private final SslContext serverSsl;
    private final Route route;
    private final DeviceCredentials credentials;
    private final Duration quiet;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    public BlobClient(InviteLink link, Route route, DeviceCredentials credentials, Duration quiet) throws ConnectionException {
        this.serverSsl = ServerConnection.serverContext(link);
        this.route = route;
        this.credentials = credentials;
        this.quiet = quiet;
    }

    /** Uploads {@code file} as blob {@code id}, continuing an earlier partial upload of it. */
    public void upload(String id, Path file, LongConsumer progress) throws ConnectionException {
        long total = size(file);
        ConnectionException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Answer head = exchange(request(HttpMethod.HEAD, id), Optional.empty(), Optional.empty(), 0, Long.MAX_VALUE,
                        progress);
                long offset = head.status() == 404 ? 0 : head.offset();
                if (head.status() == 200 && head.length() == offset && offset == total) {
                    progress.accept(total);
                    return; // a previous attempt finished, only its answer was lost
                }
                HttpRequest put = request(HttpMethod.PUT, id);
                put.headers().set(HttpHeaderNames.AUTHORIZATION, credentials.toAuthorizationHeader());
                put.headers().set("Upload-Length", total);
                put.headers().set("Upload-Offset", offset);
                HttpUtil.setContentLength(put, total - offset);
                Answer answer = exchange(put, Optional.of(file), Optional.empty(), offset, Long.MAX_VALUE, progress);
                switch (answer.status()) {
                    case 201 -> {
                        progress.accept(total);
                        return;
                    }
                    case 204, 409 -> last = new ConnectionException("the upload stopped at byte " + answer.offset(), null);
                    default -> throw new ConnectionException("The server refused the attachment: " + answer.reason(), null);
                }
            } catch (IOException e) {
                last = new ConnectionException("The attachment upload broke off: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** Downloads blob {@code id} into {@code target}, continuing from what a broken download left there. */
    public void download(String id, Path target, LongConsumer progress) throws ConnectionException {
        download(id, target, Long.MAX_VALUE, progress);
    }

    /**
     * As {@link #download(String, Path, LongConsumer)}, stopping once more than {@code maxBytes}
     * arrived: the size a file's sender announced bounds what it may cost this device's disk.
     */
    public void download(String id, Path target, long maxBytes, LongConsumer progress) throws ConnectionException {
        ConnectionException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                long have = Files.exists(target) ? Files.size(target) : 0;
                if (have > maxBytes) {
                    throw new ConnectionException("The attachment is larger than its sender announced.", null);
                }
                HttpRequest get = request(HttpMethod.GET, id);
                if (have > 0) {
                    get.headers().set(HttpHeaderNames.RANGE, "bytes=" + have + "-");
                }
                Answer answer = exchange(get, Optional.empty(), Optional.of(target), have, maxBytes, progress);
                switch (answer.status()) {
                    case 200, 206 -> {
                        if (answer.complete()) {
                            return;
                        }
                        last = new ConnectionException("the download stopped early", null);
                    }
                    case 404 -> throw new ConnectionException(
                            "The attachment is no longer on the server (attachments expire).", null);
                    default -> throw new ConnectionException("The server refused the download: " + answer.reason(), null);
                }
            } catch (IOException e) {
                last = new ConnectionException("The attachment download broke off: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    private HttpRequest request(HttpMethod method, String id) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, ApiPaths.BLOBS + id);
        request.headers().set(HttpHeaderNames.HOST, route.endpoint().getHost());
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return request;
    }

    /** What the server answered: status, offsets, the reason for a refusal, whether a body arrived whole. */
    private record Answer(int status, long offset, long length, String reason, boolean complete) {}

    /** One request on its own connection; a download's body goes to {@code sink}, appended or from scratch. */
    private Answer exchange(HttpRequest request, Optional<Path> body, Optional<Path> sink, long from, long maxBytes,
                            LongConsumer progress) throws IOException {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        FileChannel upload = body.isPresent() ? FileChannel.open(body.get(), StandardOpenOption.READ) : null;
        Channel channel = null;
        try {
            Optional<SslContext> relayTls = RouteTransport.relayContext(route);
            Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) quiet.multipliedBy(3).toMillis())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, quiet.toMillis(), TimeUnit.MILLISECONDS));
                            RouteTransport.addTo(ch, route, serverSsl, relayTls, quiet.multipliedBy(3));
                            ch.pipeline().addLast(new HttpClientCodec());
                            ch.pipeline().addLast(new ChunkedWriteHandler());
                            ch.pipeline().addLast(new ExchangeHandler(answer, sink, from, maxBytes, progress));
                        }
                    });
            channel = bootstrap.connect(RouteTransport.remoteAddress(route)).sync().channel();
            channel.write(request);
            if (upload != null) {
                long offset = from;
                ChannelProgressivePromise sent = channel.newProgressivePromise();
                sent.addListener(new ChannelProgressiveFutureListener() {
                    @Override
                    public void operationProgressed(ChannelProgressiveFuture future, long done, long total) {
                        progress.accept(offset + done);
                    }

                    @Override
                    public void operationComplete(ChannelProgressiveFuture future) {
                        // The server's answer says whether the bytes arrived.
                    }
                });
                channel.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(upload, offset, upload.size() - offset, CHUNK)),
                        sent);
            } else {
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return answer.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(Causes.rootMessage(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ConnectionException e) {
            throw new IOException(e.getMessage(), e);
        } catch (RuntimeException e) {
            // Netty's sync() rethrows connect failures undeclared.
            throw new IOException(Causes.rootMessage(e), e);
        } finally {
            if (channel != null) {
                channel.close();
            }
            if (upload != null) {
                upload.close();
            }
        }
    }

    private static long size(Path file) throws ConnectionException {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new ConnectionException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** Reads the answer; streams a successful download's body into the sink file. */
    private static final class ExchangeHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final CompletableFuture<Answer> answer;
        private final Optional<Path> sink;
        private final long from;
        private final long maxBytes;
        private final LongConsumer progress;
        private FileChannel out;
        private HttpResponse head;
        private final StringBuilder reason = new StringBuilder();
        private long received;

        ExchangeHandler(CompletableFuture<Answer> answer, Optional<Path> sink, long from, long maxBytes,
                        LongConsumer progress) {
            this.answer = answer;
            this.sink = sink;
            this.from = from;
            this.maxBytes = maxBytes;
            this.progress = progress;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) throws IOException {
            if (message instanceof HttpResponse response) {
                head = response;
                int status = response.status().code();
                if (sink.isPresent() && (status == 200 || status == 206)) {
                    // 200 means the server sends everything: start over; 206 continues the file.
                    out = status == 206
                            ? FileChannel.open(sink.get(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                            : FileChannel.open(sink.get(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                    received = status == 206 ? from : 0;
                }
            }
            if (message instanceof HttpContent content) {
                if (out != null) {
                    received += out.write(content.content().nioBuffer());
                    progress.accept(received);
                    if (received > maxBytes) {
                        // The next attempt sees the file too long and gives up (download above).
                        out.close();
                        out = null;
                        answer.completeExceptionally(new IOException("more bytes than the sender announced"));
                        ctx.close();
                        return;
                    }
                } else if (reason.length() < 500) {
                    reason.append(content.content().toString(StandardCharsets.UTF_8));
                }
                if (content instanceof LastHttpContent) {
                    finish(true);
                }
            }
        }

        private void finish(boolean whole) throws IOException {
            if (out != null) {
                out.force(true);
                out.close();
                out = null;
            }
            if (head == null) {
                answer.completeExceptionally(new IOException("the connection closed before the server answered"));
                return;
            }
            answer.complete(new Answer(head.status().code(), longHeader("Upload-Offset"), longHeader("Upload-Length"),
                    reason.toString().strip(), whole));
        }

        private long longHeader(String name) {
            try {
                String value = head.headers().get(name);
                return value == null ? -1 : Long.parseLong(value);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                // No byte moved either way for the quiet period: a frozen or dead flow.
                answer.completeExceptionally(new IOException("no progress; the connection seems frozen"));
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            answer.completeExceptionally(cause instanceof IOException ? cause : new IOException(Causes.rootMessage(cause), cause));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (!answer.isDone()) {
                if (out != null) {
                    out.force(true);
                    out.close();
                    out = null;
                }
                answer.completeExceptionally(new IOException("the connection closed mid-transfer"));
            }
            super.channelInactive(ctx);
        }
    }
}
