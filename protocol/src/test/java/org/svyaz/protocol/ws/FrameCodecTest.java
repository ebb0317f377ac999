// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;

class FrameCodecTest {
    private static final int MAX = 4096;
    private static final Frame REQUEST = Frame.newBuilder().setRequest(Request.newBuilder()
            .setId(7).setPath("/v1/messages/send").setBody(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5}))).build();
    private static final Frame RESPONSE = Frame.newBuilder().setResponse(Response.newBuilder()
            .setId(9).setError(ErrorCode.NOT_FOUND).setMessage("no such path")).build();

    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameCodec(MAX));

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    // ---------------------------------------------------------------- decoding

    @Test
    void decodesAMessageOnAnArray() {
        byte[] wire = REQUEST.toByteArray();
        BinaryWebSocketFrame message = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(wire));

        assertThat(channel.writeInbound(message)).isTrue();
        Frame decoded = channel.readInbound();

        assertThat(decoded).isEqualTo(REQUEST);
        assertThat(message.refCnt()).as("the message is released").isZero();
        // The Frame's bytes are its own: the buffer's memory may be reused once it is released.
        Arrays.fill(wire, (byte) 0);
        assertThat(decoded.getRequest().getBody()).isEqualTo(REQUEST.getRequest().getBody());
    }

    @Test
    void decodesAMessageInDirectMemory() {
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(RESPONSE.toByteArray());
        assertThat(direct.hasArray()).isFalse();

        channel.writeInbound(new BinaryWebSocketFrame(direct));

        assertThat((Frame) channel.readInbound()).isEqualTo(RESPONSE);
        assertThat(direct.refCnt()).isZero();
    }

    @Test
    void decodesAMessageAssembledFromFragments() {
        // What the aggregator hands on for a fragmented message: a buffer in several pieces.
        byte[] wire = REQUEST.toByteArray();
        CompositeByteBuf pieces = Unpooled.compositeBuffer()
                .addComponent(true, Unpooled.directBuffer().writeBytes(wire, 0, 3))
                .addComponent(true, Unpooled.directBuffer().writeBytes(wire, 3, wire.length - 3));
        assertThat(pieces.nioBufferCount()).isEqualTo(2);

        channel.writeInbound(new BinaryWebSocketFrame(pieces));

        assertThat((Frame) channel.readInbound()).isEqualTo(REQUEST);
        assertThat(pieces.refCnt()).isZero();
    }

    @Test
    void decodesAMessageOfExactlyTheLimit() {
        Frame empty = Frame.newBuilder().setRequest(Request.newBuilder().setId(1).setPath("/p")).build();
        Frame atLimit = null;
        for (int size = MAX - empty.getSerializedSize() - 8; atLimit == null; size++) {
            Frame candidate = empty.toBuilder().setRequest(empty.getRequest().toBuilder()
                    .setBody(ByteString.copyFrom(new byte[size]))).build();
            if (candidate.getSerializedSize() == MAX) {
                atLimit = candidate;
            }
        }

        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(atLimit.toByteArray())));

        assertThat((Frame) channel.readInbound()).isEqualTo(atLimit);
        assertThat(channel.isOpen()).isTrue();
    }

    // ---------------------------------------------------------------- violations

    @Test
    void aTextMessageClosesWith1003() {
        TextWebSocketFrame text = new TextWebSocketFrame("{\"path\": \"/v1/accounts/register\"}");
        assertViolation(text, FrameViolation.NOT_BINARY, 1003, "only binary frames are accepted");
    }

    @Test
    void aMessageOverTheLimitClosesWith1009() {
        assertViolation(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[MAX + 1])),
                FrameViolation.TOO_LARGE, 1009, "frame too large");
    }

    @Test
    void bytesThatAreNotAFrameCloseWith1007() {
        // Field 1 with wire type 7, which does not exist.
        byte[] notProtobuf = {0x0F, 0x13, 0x37, 0x42};
        assertThatThrownBy(() -> Frame.parseFrom(notProtobuf)).isInstanceOf(InvalidProtocolBufferException.class);
        FrameViolationException violation = assertViolation(
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(notProtobuf)),
                FrameViolation.MALFORMED, 1007, "malformed frame");
        assertThat(violation).hasCauseInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void aStrayEndGroupTagIsMalformedAsFrameParseFromHasIt() {
        // A request, then an end-group tag with no group open: parsing stops there without an error,
        // and only the check of the last tag notices.
        byte[] wire = Arrays.copyOf(REQUEST.toByteArray(), REQUEST.getSerializedSize() + 1);
        wire[wire.length - 1] = 0x0C; // field 1, wire type 4 (end group)
        assertThatThrownBy(() -> Frame.parseFrom(wire)).isInstanceOf(InvalidProtocolBufferException.class);
        assertViolation(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(wire)), FrameViolation.MALFORMED, 1007,
                "malformed frame");
    }

    @Test
    void anEmptyMessageClosesWith1007() {
        // Zero bytes parse as a Frame with neither a request nor a response.
        assertViolation(new BinaryWebSocketFrame(Unpooled.buffer(0)), FrameViolation.EMPTY, 1007, "empty frame");
    }

    /**
     * Messages that came in the same read as a violation are dropped, not handed on: the server
     * used to run such a request and write its answer after its own Close frame (found by the
     * WebSocket dispatch fuzz target).
     */
    @Test
    void nothingIsReadOrWrittenAfterAViolation() {
        BinaryWebSocketFrame malformed = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff}));
        BinaryWebSocketFrame after = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(REQUEST.toByteArray()));
        assertThatThrownBy(() -> channel.writeInbound(malformed, after)).isInstanceOf(FrameViolationException.class);
        assertThat((Object) channel.readInbound()).as("nothing is passed on").isNull();
        assertThat(after.refCnt()).as("the message after it is released").isZero();
        CloseWebSocketFrame close = channel.readOutbound();
        close.release();
        assertThat(channel.writeOneOutbound(RESPONSE).isSuccess()).as("no answer after the Close frame").isFalse();
        assertThat((Object) channel.readOutbound()).isNull();
    }

    private FrameViolationException assertViolation(WebSocketFrame message, FrameViolation expected, int status,
                                                    String reason) {
        Throwable thrown = catchThrowable(() -> channel.writeInbound(message));

        assertThat(thrown).isInstanceOfSatisfying(FrameViolationException.class,
                e -> assertThat(e.violation()).isEqualTo(expected));
        assertThat(expected.closeStatus().code()).isEqualTo(status);
        assertThat(message.refCnt()).as("the offending message is released").isZero();
        assertThat((Object) channel.readInbound()).as("nothing is passed on").isNull();
        CloseWebSocketFrame close = channel.readOutbound();
        try {
            assertThat(close.statusCode()).isEqualTo(status);
            assertThat(close.reasonText()).isEqualTo(reason);
        } finally {
            close.release();
        }
        assertThat(channel.isOpen()).as("closed once the close frame is written").isFalse();
        return (FrameViolationException) thrown;
    }

    // ---------------------------------------------------------------- encoding

    @Test
    void encodesAFrameAsOneBinaryMessage() {
        assertThat(channel.writeOutbound(REQUEST)).isTrue();
        BinaryWebSocketFrame written = channel.readOutbound();
        try {
            assertThat(written.isFinalFragment()).isTrue();
            assertThat(ByteBufUtil.getBytes(written.content())).isEqualTo(REQUEST.toByteArray());
        } finally {
            written.release();
        }
    }

    @Test
    void otherOutboundMessagesPassThrough() {
        PingWebSocketFrame ping = new PingWebSocketFrame();
        channel.writeOutbound(ping);
        assertThat((Object) channel.readOutbound()).isSameAs(ping);
        ping.release();
    }

    @Test
    void whatItEncodesItDecodes() {
        EmbeddedChannel peer = new EmbeddedChannel(new FrameCodec(MAX));
        try {
            channel.writeOutbound(RESPONSE);
            peer.writeInbound((Object) channel.readOutbound());
            assertThat((Frame) peer.readInbound()).isEqualTo(RESPONSE);
        } finally {
            peer.finishAndReleaseAll();
        }
    }
}
