// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import io.netty.handler.codec.http.HttpStatusClass;
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
    /** Pieces fetched at once once flows turn out to freeze: more flows, each carrying less. */
    static final int PARALLEL_PIECES = 6;
    /** The smallest piece worth a flow of its own; below it the handshakes cost more than the bytes. */
    private static final int MIN_PIECE = 2 * 1024;
    /**
     * The first piece after a flow froze before a single byte of body got through (TLS records are
     * up to 16 KB, so a flow frozen after 16 KB may deliver none): small enough for such a flow.
     */
    private static final int PIECE_AFTER_EMPTY_FREEZE = 8 * 1024;
    private static final int MAX_PIECE = 4 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;
    /** How long to wait before asking again about an upload the server has whole but has not finished storing. */
    private static final Duration RECHECK_PAUSE = Duration.ofMillis(500);

    private final SslContext serverSsl;
    private final Route route;
    private final DeviceCredentials credentials;
    private final Duration quiet;
    private final long flowLimit;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    public BlobClient(InviteLink link, Route route, DeviceCredentials credentials, Duration quiet) throws ConnectionException {
        this(link, route, credentials, quiet, 0);
    }

    /**
     * With {@code flowLimit} (after how many bytes flows froze on this network; 0: none did) files
     * move in pieces from the start, instead of after the first flow froze.
     */
    public BlobClient(InviteLink link, Route route, DeviceCredentials credentials, Duration quiet, long flowLimit)
            throws ConnectionException {
        this.serverSsl = ServerConnection.serverContext(link);
        this.route = route;
        this.credentials = credentials;
        this.quiet = quiet;
        this.flowLimit = flowLimit;
    }

    /**
     * Uploads {@code file} as blob {@code id}, continuing an earlier partial upload of it. The first
     * flow carries what it can; when it freezes after carrying some bytes (a censor that stops
     * flows after so many kilobytes), the rest goes up in pieces smaller than that, each on a flow
     * of its own. {@link #ATTEMPTS} flows in a row that move the upload on by nothing end it.
     */
    public void upload(String id, Path file, LongConsumer progress) throws ConnectionException {
        upload(id, file, 0, size(file), progress);
    }

    /**
     * As {@link #upload(String, Path, LongConsumer)}, for the {@code total} bytes of {@code file}
     * from byte {@code from}: one part of a blob sent in parts. Progress counts within the part.
     */
    public void upload(String id, Path file, long from, long total, LongConsumer progress) throws ConnectionException {
        ConnectionException last = null;
        long pieceSize = flowLimit > 0 ? pieceSize(flowLimit / 2) : Long.MAX_VALUE;
        long offset = -1; // what the server holds, as last learned; -1: ask it
        long beforeFrozenFlow = -1;
        long furthest = -1;
        int stuck = 0;
        while (stuck < ATTEMPTS) {
            try {
                if (offset < 0) {
                    Answer head = exchange(request(HttpMethod.HEAD, id), Optional.empty(), Optional.empty(), progress);
                    offset = head.status() == 404 ? 0 : head.offset();
                    if (head.status() == 200 && head.length() == offset && offset == total) {
                        progress.accept(total);
                        return; // a previous attempt finished, only its answer was lost
                    }
                    if (beforeFrozenFlow >= 0) {
                        // What the frozen flow carried sizes the pieces; one that carried nothing halves them.
                        pieceSize = offset > beforeFrozenFlow ? Math.min(pieceSize, pieceSize(offset - beforeFrozenFlow))
                                : pieceSize == Long.MAX_VALUE ? PIECE_AFTER_EMPTY_FREEZE : Math.max(MIN_PIECE, pieceSize / 2);
                    }
                    beforeFrozenFlow = -1;
                    if (offset >= total) {
                        // Every byte is in but the blob is not done: the flow that carried the
                        // last ones was dropped before the server finished storing them. Ask again.
                        last = new ConnectionException("the server has every byte but has not confirmed the upload",
                                null);
                        offset = -1;
                        stuck++;
                        // Longer each time: storing a large blob durably may take the server a while.
                        pause(RECHECK_PAUSE.multipliedBy(stuck));
                        continue;
                    }
                }
                long length = Math.min(total - offset, pieceSize);
                HttpRequest put = request(HttpMethod.PUT, id);
                put.headers().set(HttpHeaderNames.AUTHORIZATION, credentials.toAuthorizationHeader());
                put.headers().set("Upload-Length", total);
                put.headers().set("Upload-Offset", offset);
                HttpUtil.setContentLength(put, length);
                Answer answer = exchange(put, Optional.of(new UploadBody(file, from + offset, length)), Optional.empty(),
                        bytes -> progress.accept(bytes - from));
                switch (answer.status()) {
                    case 201 -> {
                        progress.accept(total);
                        return;
                    }
                    case 204, 409 -> {
                        last = new ConnectionException("the upload stopped at byte " + answer.offset(), null);
                        offset = answer.offset();
                    }
                    default -> throw new ConnectionException("The server refused the attachment: " + answer.reason(), null);
                }
            } catch (FlowFrozenException e) {
                last = new ConnectionException("The attachment upload broke off: " + e.getMessage(), e);
                beforeFrozenFlow = offset; // the next HEAD tells how much this flow carried
                offset = -1;
            } catch (IOException e) {
                last = new ConnectionException("The attachment upload broke off: " + e.getMessage(), e);
                offset = -1;
            }
            if (offset > furthest) {
                furthest = offset;
                stuck = 0;
            } else {
                stuck++;
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
     *
     * <p>The first flow asks for everything. When it freezes after carrying some bytes (a censor
     * that stops flows after so many kilobytes), the rest comes in pieces smaller than what that
     * flow carried, each on a flow of its own, {@link #PARALLEL_PIECES} at once.
     */
    public void download(String id, Path target, long maxBytes, LongConsumer progress) throws ConnectionException {
        if (flowLimit > 0) {
            downloadInPieces(id, target, storedSize(id), pieceSize(flowLimit / 2), maxBytes, progress);
            return;
        }
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
                Answer answer = exchange(get, Optional.empty(), Optional.of(new FileSink(target, maxBytes, progress)),
                        progress);
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
            } catch (FlowFrozenException e) {
                last = new ConnectionException("The attachment download broke off: " + e.getMessage(), e);
                // The answer's head may have been stuck in the frozen flow too (in one TLS record
                // with the first bytes of the body): then a HEAD on a fresh flow tells the size.
                long total = e.total() > 0 ? e.total() : storedSize(id);
                downloadInPieces(id, target, total,
                        e.carried() > 0 ? pieceSize(e.carried()) : PIECE_AFTER_EMPTY_FREEZE, maxBytes, progress);
                return;
            } catch (IOException e) {
                last = new ConnectionException("The attachment download broke off: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** The size of the complete blob {@code id}, asked on a flow of its own. */
    private long storedSize(String id) throws ConnectionException {
        ConnectionException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Answer head = exchange(request(HttpMethod.HEAD, id), Optional.empty(), Optional.empty(), bytes -> { });
                if (head.status() == 404 || head.status() == 200 && head.offset() != head.length()) {
                    throw new ConnectionException("The attachment is no longer on the server (attachments expire).",
                            null);
                }
                if (head.status() != 200 || head.length() < 0) {
                    throw new ConnectionException("The server refused the download: " + head.reason(), null);
                }
                return head.length();
            } catch (IOException e) {
                last = new ConnectionException("The attachment download broke off: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** A piece a flow that froze after {@code carried} bytes of body carries whole, with room to spare. */
    static int pieceSize(long carried) {
        return (int) Math.clamp(carried * 3 / 4, MIN_PIECE, MAX_PIECE);
    }

    /**
     * The rest of blob {@code id} after what {@code target} holds, in pieces on flows of their own.
     * Pieces start at {@code pieceSize}; a flow that freezes before carrying anything halves the
     * size of those asked for from then on.
     */
    private void downloadInPieces(String id, Path target, long total, int pieceSize, long maxBytes,
                                  LongConsumer progress) throws ConnectionException {
        if (total > maxBytes) {
            throw new ConnectionException("The attachment is larger than its sender announced.", null);
        }
        AtomicLong size = new AtomicLong(pieceSize);
        Deque<Future<byte[]>> window = new ArrayDeque<>();
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
             ExecutorService flows = Executors.newVirtualThreadPerTaskExecutor()) {
            long written = out.size();
            long next = written;
            try {
                while (written < total) {
                    while (window.size() < PARALLEL_PIECES && next < total) {
                        long start = next;
                        long end = Math.min(total, start + size.get());
                        window.add(flows.submit(() -> piece(id, start, end, size)));
                        next = end;
                    }
                    // Pieces are written in order, so the file is always a prefix and a broken download resumes.
                    byte[] bytes = window.removeFirst().get();
                    out.write(ByteBuffer.wrap(bytes));
                    written += bytes.length;
                    progress.accept(written);
                }
                out.force(true);
            } finally {
                window.forEach(piece -> piece.cancel(true));
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ConnectionException failure ? failure
                    : new ConnectionException("The attachment download broke off: " + Causes.rootMessage(e.getCause()),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("The attachment download was interrupted.", e);
        } catch (IOException e) {
            throw new ConnectionException("Cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Bytes {@code start} (inclusive) to {@code end} (exclusive) of blob {@code id}, asked for at
     * most {@code size} at a time. A flow that freezes or breaks keeps what it carried and the next
     * one asks for the rest; one that carried nothing halves {@code size}; {@link #ATTEMPTS} flows in
     * a row that carry nothing end the download.
     */
    private byte[] piece(String id, long start, long end, AtomicLong size) throws ConnectionException {
        MemorySink got = new MemorySink(end - start);
        ConnectionException last = null;
        int emptyFlows = 0;
        while (got.size() < end - start) {
            int before = got.size();
            long from = start + before;
            long to = Math.min(end, from + size.get());
            HttpRequest get = request(HttpMethod.GET, id);
            get.headers().set(HttpHeaderNames.RANGE, "bytes=" + from + "-" + (to - 1));
            try {
                Answer answer = exchange(get, Optional.empty(), Optional.of(got), bytes -> { });
                if (answer.status() == 404) {
                    throw new ConnectionException("The attachment is no longer on the server (attachments expire).", null);
                }
                if (answer.status() != 206) {
                    throw new ConnectionException("The server refused the download: " + answer.status() + " "
                            + answer.reason(), null);
                }
            } catch (IOException e) {
                last = new ConnectionException("The attachment download broke off: " + e.getMessage(), e);
            }
            if (got.size() == before) {
                size.updateAndGet(current -> Math.max(MIN_PIECE, current / 2));
                if (++emptyFlows >= ATTEMPTS) {
                    throw last != null ? last : new ConnectionException("The attachment download made no progress.",
                            null);
                }
            } else {
                emptyFlows = 0;
            }
        }
        return got.bytes();
    }

    private HttpRequest request(HttpMethod method, String id) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, ApiPaths.BLOBS + id);
        request.headers().set(HttpHeaderNames.HOST, route.endpoint().getHost());
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return request;
    }

    /** What the server answered: status, offsets, the reason for a refusal, whether a body arrived whole. */
    private record Answer(int status, long offset, long length, String reason, boolean complete) {}

    /** Bytes {@code from} to {@code from + length} of {@code file}, the body of a PUT. */
    private record UploadBody(Path file, long from, long length) {}

    /** One request on its own connection: an upload's {@code body}, a download's body into {@code sink}. */
    private Answer exchange(HttpRequest request, Optional<UploadBody> body, Optional<Sink> sink,
                            LongConsumer progress) throws IOException {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        FileChannel upload = body.isPresent() ? FileChannel.open(body.get().file(), StandardOpenOption.READ) : null;
        Channel channel = null;
        try {
            Optional<SslContext> relayTls = RouteTransport.relayContext(route);
            Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) quiet.multipliedBy(3).toMillis())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // observeOutput: bytes leaving for the network count as progress, so a
                            // throttled flow still draining a chunk is slow, not stalled.
                            ch.pipeline().addLast(new IdleStateHandler(true, 0, 0, quiet.toMillis(),
                                    TimeUnit.MILLISECONDS));
                            RouteTransport.addTo(ch, route, serverSsl, relayTls, quiet.multipliedBy(3));
                            ch.pipeline().addLast(new HttpClientCodec());
                            ch.pipeline().addLast(new ChunkedWriteHandler());
                            ch.pipeline().addLast(new ExchangeHandler(answer, sink));
                        }
                    });
            channel = bootstrap.connect(RouteTransport.remoteAddress(route)).sync().channel();
            channel.write(request);
            if (upload != null) {
                long offset = body.get().from();
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
                channel.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(upload, offset, body.get().length(), CHUNK)),
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

    private static void pause(Duration pause) throws ConnectionException {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("The attachment transfer was interrupted.", e);
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

    /** A flow that went quiet after carrying {@code carried} bytes of a body of {@code total} (-1: unknown). */
    static final class FlowFrozenException extends IOException {
        private final long carried;
        private final long total;

        FlowFrozenException(long carried, long total) {
            super("no progress; the connection seems frozen");
            this.carried = carried;
            this.total = total;
        }

        long carried() {
            return carried;
        }

        long total() {
            return total;
        }
    }

    /** Where a download's body goes. */
    private interface Sink {
        /** The body starts at byte {@code offset} of the blob: 0 for a whole blob, the range's first byte for a piece. */
        void begin(long offset) throws IOException;

        /** Takes the bytes; false when they go beyond what may arrive (nothing is kept then). */
        boolean write(ByteBuffer bytes) throws IOException;

        /** The flow ended, whole or not: what arrived is kept. */
        void end() throws IOException;
    }

    /** A download into a file: from scratch for a whole blob, appended for the rest of one. */
    private static final class FileSink implements Sink {
        private final Path file;
        private final long maxBytes;
        private final LongConsumer progress;
        private FileChannel out;
        private long received;

        FileSink(Path file, long maxBytes, LongConsumer progress) {
            this.file = file;
            this.maxBytes = maxBytes;
            this.progress = progress;
        }

        @Override
        public void begin(long offset) throws IOException {
            out = offset > 0
                    ? FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                    : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            received = offset;
        }

        @Override
        public boolean write(ByteBuffer bytes) throws IOException {
            received += out.write(bytes);
            progress.accept(received);
            // Past the announced size the next attempt sees the file too long and gives up (download above).
            return received <= maxBytes;
        }

        @Override
        public void end() throws IOException {
            if (out != null) {
                out.force(true);
                out.close();
                out = null;
            }
        }
    }

    /** A piece of a download, kept in memory until the pieces before it are in the file. */
    private static final class MemorySink implements Sink {
        private final long capacity;
        private final ByteArrayOutputStream bytes;

        MemorySink(long capacity) {
            this.capacity = capacity;
            this.bytes = new ByteArrayOutputStream((int) capacity);
        }

        @Override
        public void begin(long offset) {
            // The range asked for starts where the bytes so far end.
        }

        @Override
        public boolean write(ByteBuffer incoming) {
            if (bytes.size() + incoming.remaining() > capacity) {
                return false;
            }
            byte[] chunk = new byte[incoming.remaining()];
            incoming.get(chunk);
            bytes.writeBytes(chunk);
            return true;
        }

        @Override
        public void end() {
        }

        int size() {
            return bytes.size();
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /** Reads the answer; streams a successful download's body into the sink. */
    private static final class ExchangeHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final CompletableFuture<Answer> answer;
        private final Optional<Sink> sink;
        private boolean receiving;
        /** Inside an interim (1xx) answer. */
        private boolean interim;
        private HttpResponse head;
        private final StringBuilder reason = new StringBuilder();
        /** Body bytes this flow carried. */
        private long carried;
        /** The blob's size as the answer states it; -1 until known. */
        private long total = -1;

        ExchangeHandler(CompletableFuture<Answer> answer, Optional<Sink> sink) {
            this.answer = answer;
            this.sink = sink;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) throws IOException {
            if (message instanceof HttpResponse response
                    && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // The server's word on an upload's progress; reading it is what tells this flow
                // moves (the idle timer), and its empty end is skipped with it.
                interim = true;
                return;
            }
            if (interim) {
                interim = !(message instanceof LastHttpContent);
                return;
            }
            if (message instanceof HttpResponse response) {
                head = response;
                int status = response.status().code();
                if (sink.isPresent() && (status == 200 || status == 206)) {
                    // 200 means the server sends everything: start over; 206 continues from the range's start.
                    long offset = status == 206 ? contentRangeStart(response) : 0;
                    total = status == 206 ? contentRangeTotal(response) : HttpUtil.getContentLength(response, -1L);
                    sink.get().begin(offset);
                    receiving = true;
                }
            }
            if (message instanceof HttpContent content) {
                if (receiving) {
                    int size = content.content().readableBytes();
                    if (!sink.get().write(content.content().nioBuffer())) {
                        endSink();
                        answer.completeExceptionally(new IOException("more bytes than the sender announced"));
                        ctx.close();
                        return;
                    }
                    carried += size;
                } else if (reason.length() < 500) {
                    reason.append(content.content().toString(StandardCharsets.UTF_8));
                }
                if (content instanceof LastHttpContent) {
                    finish(true);
                }
            }
        }

        private void endSink() throws IOException {
            if (receiving) {
                receiving = false;
                sink.get().end();
            }
        }

        private void finish(boolean whole) throws IOException {
            endSink();
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

        /** {@code bytes A-B/TOTAL}: A. */
        private static long contentRangeStart(HttpResponse response) throws IOException {
            String range = response.headers().get(HttpHeaderNames.CONTENT_RANGE, "");
            try {
                return Long.parseLong(range.substring("bytes ".length(), range.indexOf('-')));
            } catch (RuntimeException e) {
                throw new IOException("the server answered a range it did not name", e);
            }
        }

        /** {@code bytes A-B/TOTAL}: TOTAL, or -1. */
        private static long contentRangeTotal(HttpResponse response) {
            String range = response.headers().get(HttpHeaderNames.CONTENT_RANGE, "");
            try {
                return Long.parseLong(range.substring(range.indexOf('/') + 1));
            } catch (RuntimeException e) {
                return -1;
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws IOException {
            if (event instanceof IdleStateEvent) {
                // No byte moved either way for the quiet period: a frozen or dead flow.
                endSink();
                answer.completeExceptionally(new FlowFrozenException(carried, total));
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
                endSink();
                answer.completeExceptionally(new IOException("the connection closed mid-transfer"));
            }
            super.channelInactive(ctx);
        }
    }
}
