// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.ApiPaths;

/** The probe's download, driven through the HTTP gate as the pipeline delivers requests to it. */
class ProbeDownloadTest {
    @Test
    void answersExactlyTheBytesAskedForAndClosesTheConnection() {
        EmbeddedChannel channel = gate();
        FullHttpResponse response = get(channel, ApiPaths.PROBE_DOWNLOAD + "?bytes=65536");
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.content().readableBytes()).isEqualTo(65536);
            assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(65536);
            assertThat(response.headers().get(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-store");
            assertThat(channel.isOpen()).as("one download per connection").isFalse();
        } finally {
            response.release();
        }
    }

    @Test
    void theCapAndZeroAreAllowed() {
        for (int bytes : new int[] {0, ApiPaths.PROBE_DOWNLOAD_MAX_BYTES}) {
            FullHttpResponse response = get(gate(), ApiPaths.PROBE_DOWNLOAD + "?bytes=" + bytes);
            try {
                assertThat(response.status().code()).isEqualTo(200);
                assertThat(response.content().readableBytes()).isEqualTo(bytes);
            } finally {
                response.release();
            }
        }
    }

    @Test
    void aSizeBeyondTheCapOrNotANumberIsABadRequest() {
        for (String query : new String[] {"?bytes=" + (ApiPaths.PROBE_DOWNLOAD_MAX_BYTES + 1), "?bytes=-1",
                "?bytes=abc", "?bytes=99999999999", "", "?bytes=1&bytes=2"}) {
            FullHttpResponse response = get(gate(), ApiPaths.PROBE_DOWNLOAD + query);
            try {
                assertThat(response.status().code()).as(query).isEqualTo(400);
                assertThat(response.content().readableBytes()).as(query).isLessThan(200);
            } finally {
                response.release();
            }
        }
    }

    @Test
    void onlyGet() {
        EmbeddedChannel channel = gate();
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                ApiPaths.PROBE_DOWNLOAD + "?bytes=10"));
        FullHttpResponse response = whole(channel);
        try {
            assertThat(response.status().code()).isEqualTo(405);
        } finally {
            response.release();
        }
    }

    /** The gate with credentials that never match and an executor that is never reached for downloads. */
    private static EmbeddedChannel gate() {
        return new EmbeddedChannel(new ChunkedWriteHandler(), new UpgradeHandler(header -> Optional.empty(), Runnable::run,
                new ConnectionCaps(new TransportLimits(4096, Duration.ofMinutes(1))), new RequestHeadDeadline(Duration.ofSeconds(10))));
    }

    private static FullHttpResponse get(EmbeddedChannel channel, String uri) {
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
        return whole(channel);
    }

    /** The answer as one response, from its head and the chunks that followed it. */
    private static FullHttpResponse whole(EmbeddedChannel channel) {
        Object first = channel.readOutbound();
        if (first instanceof FullHttpResponse full) {
            return full;
        }
        HttpResponse head = (HttpResponse) first;
        CompositeByteBuf body = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        for (Object next = channel.readOutbound(); next != null; next = channel.readOutbound()) {
            HttpContent content = (HttpContent) next;
            body.addComponent(true, content.content());
            if (content instanceof LastHttpContent) {
                break;
            }
        }
        FullHttpResponse response = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), body);
        response.headers().set(head.headers());
        return response;
    }
}
