// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import com.google.protobuf.ByteString;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.message.PushChannel;

/** One device's WebSocket: writes frames and matches the device's answers to the server's pushes. */
public final class WebSocketSession implements PushChannel {
    private final Channel channel;
    private final AtomicLong nextPushId = new AtomicLong(1);
    private final ConcurrentHashMap<Long, CompletableFuture<Response>> pendingPushes = new ConcurrentHashMap<>();

    WebSocketSession(Channel channel) {
        this.channel = channel;
    }

    void send(Frame frame) {
        channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray())));
    }

    @Override
    public CompletableFuture<Response> push(String path, ByteString body) {
        return push(path, body, true);
    }

    @Override
    public CompletableFuture<Response> pushLater(String path, ByteString body) {
        return push(path, body, false);
    }

    @Override
    public void flush() {
        channel.flush();
    }

    private CompletableFuture<Response> push(String path, ByteString body, boolean flush) {
        long id = nextPushId.getAndIncrement();
        CompletableFuture<Response> answer = new CompletableFuture<>();
        pendingPushes.put(id, answer);
        Frame frame = Frame.newBuilder().setRequest(Request.newBuilder().setId(id).setPath(path).setBody(body)).build();
        BinaryWebSocketFrame message = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray()));
        (flush ? channel.writeAndFlush(message) : channel.write(message))
                .addListener(write -> {
                    if (!write.isSuccess()) {
                        failPush(id, write.cause());
                    }
                });
        if (!channel.isActive()) {
            failPush(id, new IOException("connection closed"));
        }
        return answer;
    }

    private void failPush(long id, Throwable cause) {
        CompletableFuture<Response> answer = pendingPushes.remove(id);
        if (answer != null) {
            answer.completeExceptionally(cause);
        }
    }

    void onResponse(Response response) {
        CompletableFuture<Response> answer = pendingPushes.remove(response.getId());
        if (answer != null) {
            answer.complete(response);
        }
    }

    void onClosed() {
        IOException closed = new IOException("connection closed");
        pendingPushes.keySet().forEach(id -> failPush(id, closed));
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close(int statusCode, String reason) {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(statusCode, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
