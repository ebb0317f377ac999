// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.server.api.Caller;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.store.BlobId;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.files.DirectoryBlobStore;

/**
 * Fuzz target for the headers of blob requests: {@code Range} on downloads, {@code Upload-Offset},
 * {@code Upload-Length} and {@code Content-Length} on uploads, through the real {@link BlobHandler}
 * on a directory store. A download answers exactly the bytes a well-formed range names (or 416); an
 * upload is taken only when it fits the length it announced, and nothing stored ever passes it.
 * Replayed from {@code BlobHeadersFuzzTestInputs/} in every build; fuzzed with {@code JAZZER_FUZZ=1}
 * (SECURITY.md, "Fuzzing").
 */
class BlobHeadersFuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    private static final BlobId STORED = new BlobId("A".repeat(43));
    private static final BlobId UPLOADED = new BlobId("B".repeat(42) + "A");
    private static final byte[] CONTENT = new byte[1000];
    private static final long MAX_BYTES = 4096;
    private static final String CREDENTIALS = "Basic ok";
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
    private static final Pattern CANONICAL_RANGE = Pattern.compile("bytes=(\\d{1,18})-(\\d{0,18})");

    private static Path directory;
    private static BlobStore store;
    private static BlobHandler.Blobs blobs;

    @BeforeAll
    static void openStore() throws Exception {
        for (int i = 0; i < CONTENT.length; i++) {
            CONTENT[i] = (byte) (i * 31);
        }
        directory = Files.createTempDirectory("svyaz-blob-fuzz");
        store = DirectoryBlobStore.open(directory);
        Clock clock = Clock.systemUTC();
        LocalRateLimiter unlimited = new LocalRateLimiter(Long.MAX_VALUE / 2, 1_000_000, clock);
        blobs = new BlobHandler.Blobs(store, new BlobLimits(MAX_BYTES, unlimited, unlimited, Long.MAX_VALUE / 2));
    }

    @AfterAll
    static void removeStore() throws Exception {
        try (var files = Files.walk(directory)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void request(FuzzedDataProvider data) throws Exception {
        // Each input starts from the same store: one complete blob, nothing else.
        store.deleteExpired(Instant.now().plusSeconds(86_400), Instant.now().plusSeconds(86_400));
        try (BlobStore.BlobUpload upload = store.resume(STORED, CONTENT.length, 0)) {
            upload.write(ByteBuffer.wrap(CONTENT));
            upload.finish();
        }
        EmbeddedChannel channel = new EmbeddedChannel(new ChunkedWriteHandler(), new BlobHandler(blobs,
                header -> header.equals(CREDENTIALS) ? Optional.of(new Caller(new UUID(1, 2), 1)) : Optional.empty(),
                Runnable::run));
        try {
            switch (data.consumeInt(0, 2)) {
                case 0 -> download(channel, data);
                case 1 -> upload(channel, data);
                default -> anything(channel, data);
            }
            store.status(UPLOADED).ifPresent(status -> {
                assertThat(status.received()).isLessThanOrEqualTo(status.total());
                assertThat(status.total()).isLessThanOrEqualTo(MAX_BYTES);
            });
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** A GET of the stored blob with a fuzzed Range: the bytes it names, or 416. */
    private static void download(EmbeddedChannel channel, FuzzedDataProvider data) {
        String range = data.consumeBoolean() ? null : rangeHeader(data);
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ApiPaths.BLOBS + STORED);
        if (range != null) {
            try {
                request.headers().set(HttpHeaderNames.RANGE, range);
            } catch (IllegalArgumentException e) {
                request.release();
                return; // a value Netty refuses itself (a control character); HttpServerCodec would too
            }
        }
        channel.writeInbound(request);
        channel.runPendingTasks();
        HttpResponse response = channel.readOutbound();
        assertThat(response).as("every download is answered").isNotNull();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Object out;
        while ((out = channel.readOutbound()) != null) {
            try {
                if (out instanceof HttpContent content) {
                    body.writeBytes(ByteBufUtil.getBytes(content.content()));
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        ReferenceCountUtil.release(response);
        HttpResponseStatus status = response.status();
        Matcher canonical = range == null ? null : CANONICAL_RANGE.matcher(range);
        if (range == null) {
            assertThat(status).isEqualTo(HttpResponseStatus.OK);
        } else if (canonical.matches()) {
            long from = Long.parseLong(canonical.group(1));
            long to = canonical.group(2).isEmpty() ? Long.MAX_VALUE : Long.parseLong(canonical.group(2));
            boolean open = canonical.group(2).isEmpty();
            if (to < from || from > CONTENT.length || from == CONTENT.length && !open) {
                assertThat(status).isEqualTo(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
            } else if (from == CONTENT.length) {
                // "The rest from the end": nothing, which a client resuming a download it already
                // has whole asks for (BlobClient.download), rather than 416 as RFC 9110 has it.
                assertThat(status).isEqualTo(HttpResponseStatus.PARTIAL_CONTENT);
                assertThat(body.size()).isZero();
            } else {
                long end = Math.min(to, CONTENT.length - 1L);
                assertThat(status).isEqualTo(from == 0 && canonical.group(2).isEmpty()
                        ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
                assertThat(body.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(CONTENT, (int) from, (int) end + 1));
            }
        } else {
            assertThat(status).isIn(HttpResponseStatus.OK, HttpResponseStatus.PARTIAL_CONTENT,
                    HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
        }
        if (status.equals(HttpResponseStatus.OK)) {
            assertThat(body.toByteArray()).isEqualTo(CONTENT);
        } else if (status.equals(HttpResponseStatus.PARTIAL_CONTENT) && body.size() > 0) {
            Matcher contentRange = CONTENT_RANGE.matcher(response.headers().get(HttpHeaderNames.CONTENT_RANGE));
            assertThat(contentRange.matches()).isTrue();
            int first = Integer.parseInt(contentRange.group(1));
            int last = Integer.parseInt(contentRange.group(2));
            assertThat(contentRange.group(3)).isEqualTo(String.valueOf(CONTENT.length));
            assertThat(first).isBetween(0, last);
            assertThat(last).isLessThan(CONTENT.length);
            assertThat(body.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(CONTENT, first, last + 1));
        }
        if (!status.equals(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE)) {
            assertThat(HttpUtil.getContentLength(response)).isEqualTo(body.size());
        }
    }

    /** A PUT with fuzzed upload headers: taken only when the piece fits the length it announced. */
    private static void upload(EmbeddedChannel channel, FuzzedDataProvider data) {
        String total = number(data);
        String offset = number(data);
        boolean credentials = data.consumeBoolean();
        boolean contentLength = data.consumeBoolean();
        byte[] body = data.consumeBytes(data.consumeInt(0, 2 * (int) MAX_BYTES));
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT,
                ApiPaths.BLOBS + UPLOADED, Unpooled.wrappedBuffer(body));
        try {
            if (total != null) {
                request.headers().set(BlobHandler.UPLOAD_LENGTH, total);
            }
            if (offset != null) {
                request.headers().set(BlobHandler.UPLOAD_OFFSET, offset);
            }
        } catch (IllegalArgumentException e) {
            request.release();
            return; // a value Netty refuses itself (a control character); HttpServerCodec would too
        }
        if (credentials) {
            request.headers().set(HttpHeaderNames.AUTHORIZATION, CREDENTIALS);
        }
        // What HttpServerCodec lets through: a Content-Length that is the body's, or a chunked body.
        if (contentLength) {
            HttpUtil.setContentLength(request, body.length);
        } else {
            HttpUtil.setTransferEncodingChunked(request, true);
        }
        channel.writeInbound(request);
        channel.runPendingTasks();
        HttpResponse response = channel.readOutbound();
        assertThat(response).as("every upload is answered").isNotNull();
        ReferenceCountUtil.release(response);
        int code = response.status().code();
        assertThat(code).isNotEqualTo(500);
        if (code == 201 || code == 204) {
            long announced = Long.parseLong(total.strip());
            long start = Long.parseLong(offset.strip());
            assertThat(credentials).isTrue();
            assertThat(announced).isBetween(1L, MAX_BYTES);
            assertThat(start + body.length).as("a taken piece fits the length").isLessThanOrEqualTo(announced);
            assertThat(Long.parseLong(response.headers().get(BlobHandler.UPLOAD_OFFSET))).isEqualTo(start + body.length);
        }
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(out);
        }
    }

    /** Any method on any path under the blobs: answered, never 500. */
    private static void anything(EmbeddedChannel channel, FuzzedDataProvider data) {
        String method = data.consumeAsciiString(10);
        String path = data.consumeAsciiString(80);
        FullHttpRequest request;
        try {
            request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method.isBlank() ? "GET" : method.strip()),
                    ApiPaths.BLOBS + path);
            request.headers().set(HttpHeaderNames.RANGE, data.consumeAsciiString(40));
            request.headers().set(BlobHandler.UPLOAD_LENGTH, data.consumeAsciiString(24));
            request.headers().set(BlobHandler.UPLOAD_OFFSET, data.consumeAsciiString(24));
        } catch (IllegalArgumentException e) {
            return; // Netty refuses this method name or header value itself; HttpServerCodec would too
        }
        channel.writeInbound(request);
        channel.runPendingTasks();
        Object out;
        while ((out = channel.readOutbound()) != null) {
            try {
                if (out instanceof HttpResponse response) {
                    assertThat(response.status().code()).isNotEqualTo(500);
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
    }

    /** A Range header: mostly the shapes clients send, with numbers near the edges, sometimes anything. */
    private static String rangeHeader(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> "bytes=" + edgeNumber(data) + "-";
            case 1 -> "bytes=" + edgeNumber(data) + "-" + edgeNumber(data);
            default -> data.consumeString(64);
        };
    }

    /** An upload header value: absent, a number near the edges, or any text. */
    private static String number(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1, 2 -> String.valueOf(edgeNumber(data));
            default -> data.consumeString(24);
        };
    }

    private static long edgeNumber(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> data.consumeLong(0, 2 * MAX_BYTES);
            case 1 -> Long.MAX_VALUE - data.consumeLong(0, 2 * MAX_BYTES);
            case 2 -> data.consumeLong();
            default -> data.consumeLong(-2, 2);
        };
    }
}
