// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.util.ReferenceCountUtil;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.api.Caller;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.store.BlobId;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.BlobStore.BlobConflictException;
import org.svyaz.server.store.BlobStore.BlobUpload;
import org.svyaz.server.store.StoreException;

/**
 * Attachments over plain HTTP on the TLS port, streamed in both directions:
 * <ul>
 *   <li>{@code PUT /v1/blobs/ID} with the device's credentials, {@code Upload-Length: TOTAL} and
 *       {@code Upload-Offset: N} (the bytes already stored, from {@code HEAD}) appends the body;
 *       {@code 201} when the blob is complete, {@code 204} with the new offset when not,
 *       {@code 409} with the right offset when N is wrong, {@code 413} beyond the operator's limit,
 *       {@code 429} past the account's upload rate or quota ({@link BlobLimits});</li>
 *   <li>{@code HEAD /v1/blobs/ID} tells how many bytes are stored ({@code Upload-Offset});</li>
 *   <li>{@code GET /v1/blobs/ID}, optionally with {@code Range: bytes=N-} or {@code bytes=N-M}, reads a
 *       complete blob or a piece of it.
 *       No credentials: the random id is the capability, and the bytes are ciphertext.</li>
 * </ul>
 * Body pieces go to the store on the executor, in order; reading from the socket pauses while more
 * than {@link #MAX_PENDING_BYTES} wait, so an upload never piles up in memory. Pipelined requests
 * are answered one at a time, in order, and a file is opened only when its request's turn comes.
 */
final class BlobHandler extends ChannelInboundHandlerAdapter {
    static final String UPLOAD_LENGTH = "Upload-Length";
    static final String UPLOAD_OFFSET = "Upload-Offset";
    /** The interim answer that tells an upload's progress; the status the IETF resumable-upload draft gives uploads. */
    static final HttpResponseStatus UPLOAD_PROGRESS = new HttpResponseStatus(104, "Upload Resumption Supported");
    private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;
    private static final int MAX_PENDING_BYTES = 1024 * 1024;
    private static final int RESUME_BELOW_BYTES = 256 * 1024;
    private static final int DOWNLOAD_CHUNK = 64 * 1024;
    private static final long LINGER_SECONDS = 2;

    /**
     * Requests read while one is being answered wait here, in order; beyond this many the client is
     * not using HTTP as anyone does (a browser pipelines a handful) and the connection is closed.
     * Netty's HTTP codec already closes a connection with more than 128 requests unanswered
     * ({@code maxPipelineDepth}); this bound does not rely on it.
     */
    static final int MAX_WAITING = 1024;

    /** The store and what one account may put in it. */
    record Blobs(BlobStore store, BlobLimits limits) {
        long maxBytes() {
            return limits.maxBytes();
        }
    }

    private final Blobs blobs;
    private final Authenticator authenticator;
    private final Executor executor;
    /** The upload of the request being read, stage by stage; null outside an upload. */
    private CompletableFuture<BlobUpload> upload;
    /** Body pieces of a request this handler answers without reading them. */
    private boolean discarding;
    /** The current upload was already answered (refused); later failures of its stages say nothing more. */
    private boolean answered;
    /** A refusal was sent: close once the client's body has been read (or the linger ran out). */
    private boolean closeAfterBody;
    private long pendingBytes;
    /** When the current upload last told its progress ({@link #tellProgress}). */
    private long lastProgressNanos = System.nanoTime();
    /**
     * A blob request is being answered. Requests are answered one at a time, in order: pipelined
     * GETs used to open their files all at once, each held open until its answer was written, so
     * one connection that never read could use up the server's file descriptors.
     */
    private boolean busy;
    /** What arrived while busy, to be handled once the current answer is out; reading is paused meanwhile. */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();

    BlobHandler(Blobs blobs, Authenticator authenticator, Executor executor) {
        this.blobs = blobs;
        this.authenticator = authenticator;
        this.executor = executor;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // A new request (blob or not) waits for the current answer, and so does all that follows it.
        if (busy && msg instanceof HttpRequest || !waiting.isEmpty()) {
            ReadPauses.of(ctx.channel()).pause(ReadPauses.Reason.BLOB_QUEUE);
            waiting.add(msg);
            if (waiting.size() > MAX_WAITING) {
                releaseWaiting();
                ctx.close();
            }
            return;
        }
        handle(ctx, msg);
    }

    private void handle(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && isBlobPath(request)) {
            busy = true;
            handleHead(ctx, request);
            if (msg instanceof HttpContent content) {
                handleBody(ctx, content);
            }
            return;
        }
        if (msg instanceof HttpContent content && (upload != null || discarding)) {
            handleBody(ctx, content);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** The current request is answered: the next waiting one (if any) goes on, else reading resumes. */
    private void answered(ChannelHandlerContext ctx) {
        busy = false;
        // A request's own body follows it even while it is being answered; the next request waits.
        while (!waiting.isEmpty() && !(busy && waiting.peek() instanceof HttpRequest)) {
            handle(ctx, waiting.poll());
        }
        if (!busy) {
            ReadPauses.of(ctx.channel()).resume(ReadPauses.Reason.BLOB_QUEUE);
        }
    }

    private void releaseWaiting() {
        for (Object msg; (msg = waiting.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    private static boolean isBlobPath(HttpRequest request) {
        // An undecodable target is no blob request; the next handler answers it with a 400.
        return RequestTargets.path(request.uri()).map(path -> path.startsWith(ApiPaths.BLOBS)).orElse(false);
    }

    private void handleHead(ChannelHandlerContext ctx, HttpRequest request) {
        String path = RequestTargets.path(request.uri()).orElseThrow(); // isBlobPath decoded it
        Optional<BlobId> id = BlobId.parse(path.substring(ApiPaths.BLOBS.length()));
        if (id.isEmpty()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "a blob id is 32 bytes in unpadded base64url", -1);
            return;
        }
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.GET)) {
            discarding = true;
            download(ctx, request, id.get());
        } else if (method.equals(HttpMethod.HEAD)) {
            discarding = true;
            status(ctx, id.get());
        } else if (method.equals(HttpMethod.PUT)) {
            startUpload(ctx, request, id.get());
        } else {
            refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "blobs take GET, HEAD and PUT", -1);
        }
    }

    private void startUpload(ChannelHandlerContext ctx, HttpRequest request, BlobId id) {
        long total = header(request, UPLOAD_LENGTH);
        long offset = header(request, UPLOAD_OFFSET);
        long length = HttpUtil.getContentLength(request, -1L);
        // Without Content-Length the body is chunked; the store still refuses bytes beyond the total.
        if (total < 1 || offset < 0 || offset >= total || length == 0 || length > 0 && offset + length > total) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST,
                    "a blob upload needs Upload-Length, Upload-Offset and a Content-Length that fits them", -1);
            return;
        }
        if (total > blobs.maxBytes()) {
            refuse(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "this server takes attachments of at most " + blobs.maxBytes() + " bytes", -1);
            return;
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        answered = false;
        lastProgressNanos = System.nanoTime();
        ReadPauses.of(ctx.channel()).pause(ReadPauses.Reason.UPLOAD);
        upload = CompletableFuture.supplyAsync(() -> {
            try {
                Optional<Caller> caller = authorization == null ? Optional.empty() : authenticator.authenticate(authorization);
                if (caller.isEmpty()) {
                    throw new CompletionException(new Refusal(HttpResponseStatus.UNAUTHORIZED,
                            "uploading needs a registered device's credentials", -1));
                }
                checkLimits(caller.get(), length > 0 ? length : total - offset);
                return blobs.store().resume(id, total, offset);
            } catch (StoreException e) {
                throw new CompletionException(new Refusal(HttpResponseStatus.INSUFFICIENT_STORAGE,
                        "the server cannot store the blob now", -1));
            } catch (BlobConflictException e) {
                throw new CompletionException(new Refusal(HttpResponseStatus.CONFLICT, e.getMessage(), e.received()));
            }
        }, executor);
        if (HttpUtil.is100ContinueExpected(request)) {
            upload.thenRun(() -> ctx.executor().execute(() -> ctx.writeAndFlush(
                    new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE))));
        }
        upload.whenComplete((ok, failure) -> ctx.executor().execute(() -> {
            ReadPauses.of(ctx.channel()).resume(ReadPauses.Reason.UPLOAD);
            if (failure != null) {
                failOnce(ctx, failure);
            }
        }));
    }

    /**
     * The account's upload rate and byte quota. A piece is charged for the bytes it announces
     * (its Content-Length, or what is left of the blob when the body is chunked), so a file sent
     * as several ranges costs its size once, and a broken upload at most what it announced.
     */
    private void checkLimits(Caller caller, long bytes) {
        BlobLimits limits = blobs.limits();
        if (!limits.uploads().tryAcquire(caller.accountId())) {
            throw new CompletionException(new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "too many uploads from this account; wait " + limits.uploads().secondsUntilNextToken()
                            + " s and try again", -1));
        }
        if (!limits.quota().tryAcquire(caller.accountId(), RateLimit.permitsForBytes(bytes))) {
            throw new CompletionException(new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS,
                    "this account has used its attachment quota (" + limits.quotaBytes() / (1024 * 1024)
                            + " MiB until older attachments expire); try again later", -1));
        }
    }

    /** The first failure of an upload is answered at once; the body still on its way is discarded. */
    private void failOnce(ChannelHandlerContext ctx, Throwable failure) {
        if (!answered) {
            answered = true;
            answerFailure(ctx, failure);
        }
    }

    private void handleBody(ChannelHandlerContext ctx, HttpContent content) {
        if (discarding || upload == null) {
            boolean last = content instanceof LastHttpContent;
            content.release();
            if (last) {
                discarding = false;
                if (closeAfterBody) {
                    ctx.close();
                }
            }
            return;
        }
        ByteBuf bytes = content.content();
        boolean last = content instanceof LastHttpContent;
        int size = bytes.readableBytes();
        pendingBytes += size;
        if (pendingBytes > MAX_PENDING_BYTES) {
            ReadPauses.of(ctx.channel()).pause(ReadPauses.Reason.UPLOAD);
        }
        upload = upload.thenApplyAsync(running -> {
            try {
                running.write(bytes.nioBuffer());
                return running;
            } catch (StoreException e) {
                running.close();
                throw new CompletionException(new Refusal(HttpResponseStatus.INSUFFICIENT_STORAGE,
                        "the server cannot store the blob now (disk full?)", running.received()));
            } catch (BlobConflictException e) {
                running.close();
                throw new CompletionException(new Refusal(HttpResponseStatus.CONFLICT, e.getMessage(), e.received()));
            }
        }, executor).whenComplete((running, failure) -> {
            content.release();
            ctx.executor().execute(() -> {
                if (failure != null) {
                    failOnce(ctx, failure);
                } else if (!last) {
                    tellProgress(ctx, running.received());
                }
                pendingBytes -= size;
                if (pendingBytes < RESUME_BELOW_BYTES) {
                    ReadPauses.of(ctx.channel()).resume(ReadPauses.Reason.UPLOAD);
                }
            });
        });
        if (last) {
            CompletableFuture<BlobUpload> finished = upload;
            upload = null;
            finished.thenApplyAsync(running -> {
                try (running) {
                    return running.finish();
                } catch (StoreException e) {
                    throw new CompletionException(new Refusal(HttpResponseStatus.INSUFFICIENT_STORAGE,
                            "the server cannot store the blob now", running.received()));
                }
            }, executor).whenComplete((status, failure) -> ctx.executor().execute(() -> {
                if (failure != null) {
                    failOnce(ctx, failure);
                    return;
                }
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        status.complete() ? HttpResponseStatus.CREATED : HttpResponseStatus.NO_CONTENT);
                response.headers().set(UPLOAD_OFFSET, status.received());
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                ctx.writeAndFlush(response);
                answered(ctx);
            }));
        }
    }

    /**
     * At most once a second during an upload, an interim {@code 104} answer with the bytes
     * received so far. The client tells a slow flow from a dead one by what comes back: on a
     * throttled network its bytes wait in buffers along the way, and before the whole body is in
     * the final answer cannot come.
     */
    private void tellProgress(ChannelHandlerContext ctx, long received) {
        long now = System.nanoTime();
        if (answered || upload == null || now - lastProgressNanos < PROGRESS_INTERVAL_NANOS) {
            return;
        }
        lastProgressNanos = now;
        FullHttpResponse progress = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, UPLOAD_PROGRESS);
        progress.headers().set(UPLOAD_OFFSET, received);
        ctx.writeAndFlush(progress);
    }

    private void answerFailure(ChannelHandlerContext ctx, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof Refusal refusal) {
            refuse(ctx, refusal.status, refusal.getMessage(), refusal.received);
        } else {
            refuse(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "the upload failed", -1);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (upload != null) {
            // The connection broke mid-upload: keep what arrived, durably, for a resume.
            upload.thenAcceptAsync(running -> {
                try (running) {
                    running.finish();
                } catch (StoreException ignored) {
                    // What was not synced is asked for again on resume.
                }
            }, executor);
            upload = null;
        }
        super.channelInactive(ctx);
    }

    private void status(ChannelHandlerContext ctx, BlobId id) {
        executor.execute(() -> {
            Optional<BlobStore.Status> status;
            try {
                status = blobs.store().status(id);
            } catch (StoreException e) {
                ctx.executor().execute(() -> refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "", -1));
                return;
            }
            ctx.executor().execute(() -> {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        status.isPresent() ? HttpResponseStatus.OK : HttpResponseStatus.NOT_FOUND);
                response.headers().set(UPLOAD_OFFSET, status.map(BlobStore.Status::received).orElse(0L));
                status.ifPresent(s -> response.headers().set(UPLOAD_LENGTH, s.total()));
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                ctx.writeAndFlush(response);
                answered(ctx);
            });
        });
    }

    private void download(ChannelHandlerContext ctx, HttpRequest request, BlobId id) {
        Range range = Range.parse(request.headers().get(HttpHeaderNames.RANGE));
        long from = range.from();
        executor.execute(() -> {
            Optional<FileChannel> blob;
            long size;
            try {
                blob = blobs.store().open(id);
                size = blob.isPresent() ? blob.get().size() : 0;
            } catch (StoreException | IOException e) {
                ctx.executor().execute(() -> refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "", -1));
                return;
            }
            ctx.executor().execute(() -> {
                if (blob.isEmpty()) {
                    refuse(ctx, HttpResponseStatus.NOT_FOUND, "no complete blob under this id", -1);
                    return;
                }
                if (from < 0 || from > size || range.closed() && from == size) {
                    closeQuietly(blob.get());
                    refuse(ctx, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "the range starts beyond the blob", -1);
                    return;
                }
                // A closed range ends at its last byte or the blob's, whichever comes first.
                long end = Math.min(range.toInclusive(), size - 1) + 1;
                boolean partial = from > 0 || range.closed();
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                        partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
                HttpUtil.setContentLength(response, Math.max(0, end - from));
                if (partial) {
                    response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + from + "-" + (end - 1) + "/" + size);
                }
                ctx.write(response);
                try {
                    // The next request is taken only once this file is written out and closed.
                    ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(blob.get(), from, Math.max(0, end - from),
                            DOWNLOAD_CHUNK)))
                            .addListener(done -> {
                                closeQuietly(blob.get());
                                if (done.isSuccess()) {
                                    answered(ctx);
                                }
                            });
                } catch (IOException e) {
                    closeQuietly(blob.get());
                    ctx.close();
                }
            });
        });
    }

    /**
     * The bytes a download asks for: {@code bytes=N-} (from N on) or {@code bytes=N-M} (N to M
     * inclusive: clients fetch a file in pieces, each on its own flow, where censors freeze flows
     * after some kilobytes); no header is the whole blob. Anything else is unsupported ({@code from} -1).
     */
    private record Range(long from, long toInclusive, boolean closed) {
        static Range parse(String header) {
            if (header == null) {
                return new Range(0, Long.MAX_VALUE - 1, false);
            }
            int dash = header.indexOf('-');
            if (!header.startsWith("bytes=") || dash < 0) {
                return new Range(-1, -1, false);
            }
            try {
                long from = Long.parseLong(header.substring("bytes=".length(), dash));
                String last = header.substring(dash + 1);
                if (last.isEmpty()) {
                    return new Range(from, Long.MAX_VALUE - 1, false);
                }
                long to = Long.parseLong(last);
                return to < from ? new Range(-1, -1, false) : new Range(from, to, true);
            } catch (NumberFormatException e) {
                return new Range(-1, -1, false);
            }
        }
    }

    private static long header(HttpRequest request, String name) {
        try {
            String value = request.headers().get(name);
            return value == null ? -1 : Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Answers with {@code status} and closes the connection once the request's body has been read
     * and dropped, or after {@link #LINGER_SECONDS}: closing at once would reset a client still
     * sending, and it would never read why it was refused.
     */
    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason, long received) {
        discarding = true;
        closeAfterBody = true;
        upload = null;
        ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_SECONDS, TimeUnit.SECONDS);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(reason.isEmpty() ? "" : reason + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (received >= 0) {
            response.headers().set(UPLOAD_OFFSET, received);
        }
        ctx.writeAndFlush(response);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only; nothing to lose.
        }
    }

    /** A refusal computed off the event loop, answered on it. */
    private static final class Refusal extends Exception {
        private final HttpResponseStatus status;
        private final long received;

        Refusal(HttpResponseStatus status, String message, long received) {
            super(message, null, false, false);
            this.status = status;
            this.received = received;
        }
    }

}
