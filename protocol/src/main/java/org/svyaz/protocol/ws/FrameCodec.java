// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import org.svyaz.protocol.wire.Frame;

/**
 * Between WebSocket messages and protobuf {@link Frame}s, for the server and the client alike. Sits
 * behind a {@code WebSocketFrameAggregator}, so every inbound message is whole; handlers after it
 * read and write {@link Frame}s only. Other outbound messages (ping, close) pass through.
 *
 * <p>Every protocol violation takes one path ({@link FrameViolation}): the connection is sent a
 * close frame with the violation's status (1003 for a non-binary message, 1009 for one over
 * {@code maxFrameBytes}, 1007 for bytes that are not a Frame or a Frame with neither a request nor
 * a response), is closed once that is written, and a {@link FrameViolationException} goes down the
 * pipeline. Only the offending connection is affected.
 *
 * <p>Holds no state of its own, but Netty's message decoder does, so each connection needs its own
 * instance.
 */
public final class FrameCodec extends MessageToMessageCodec<WebSocketFrame, Frame> {
    private final int maxFrameBytes;

    /** @param maxFrameBytes the longest message accepted; the aggregator in front should use the same */
    public FrameCodec(int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes must be positive");
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /** A violation was answered with a Close frame: nothing more is read or written. */
    private boolean closing;

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame message, List<Object> out) {
        // The message is released by the caller once this returns or throws.
        if (closing) {
            // Decoded from the same read as the violation: the connection is closing, and answers
            // could no longer be sent (RFC 6455: no data after the Close frame).
            return;
        }
        if (!(message instanceof BinaryWebSocketFrame)) {
            throw violation(ctx, FrameViolation.NOT_BINARY, null);
        }
        ByteBuf content = message.content();
        if (content.readableBytes() > maxFrameBytes) {
            throw violation(ctx, FrameViolation.TOO_LARGE, null);
        }
        Frame frame;
        try {
            frame = parse(content);
        } catch (InvalidProtocolBufferException e) {
            throw violation(ctx, FrameViolation.MALFORMED, e);
        }
        if (frame.getKindCase() == Frame.KindCase.KIND_NOT_SET) {
            throw violation(ctx, FrameViolation.EMPTY, null);
        }
        out.add(frame);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (closing && msg instanceof Frame) {
            // RFC 6455: an endpoint sends no data frame after its Close frame.
            promise.setFailure(new ClosedChannelException());
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        out.add(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray())));
    }

    /**
     * Parses straight from the buffer's memory where it is one piece (an array, or one NIO buffer,
     * which is what the aggregator hands on for an unfragmented message); a message assembled from
     * fragments is copied into one array first. Aliasing stays off, so the Frame's bytes fields are
     * copies and the buffer may be released as soon as this returns.
     */
    static Frame parse(ByteBuf content) throws InvalidProtocolBufferException {
        CodedInputStream input;
        int length = content.readableBytes();
        if (content.hasArray()) {
            input = CodedInputStream.newInstance(content.array(), content.arrayOffset() + content.readerIndex(), length);
        } else if (content.nioBufferCount() == 1) {
            // The buffer's own reusable NIO view rather than a new one per message: the parse ends
            // before anything else on this event loop can touch the buffer.
            input = CodedInputStream.newInstance(content.internalNioBuffer(content.readerIndex(), length));
        } else {
            input = CodedInputStream.newInstance(ByteBufUtil.getBytes(content));
        }
        Frame frame = Frame.parser().parseFrom(input);
        // What Frame.parseFrom(byte[]) checks too: the input did not stop at a stray end-group tag.
        input.checkLastTagWas(0);
        return frame;
    }

    private FrameViolationException violation(ChannelHandlerContext ctx, FrameViolation violation, Throwable cause) {
        closing = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(violation.closeStatus().code(), violation.reason()))
                .addListener(ChannelFutureListener.CLOSE);
        return new FrameViolationException(violation, cause);
    }
}
