// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import com.google.protobuf.ByteString;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.ws.PendingRequests;
import org.svyaz.server.message.PushChannel;

/**
 * One device's WebSocket: writes frames (the pipeline's FrameCodec serializes them) and matches the
 * device's answers to the server's pushes.
 */
public final class WebSocketSession implements PushChannel {
    private final Channel channel;
    /** The server's pushes awaiting the device's answer; a push waits as long as the connection lasts. */
    private final PendingRequests pendingPushes;

    WebSocketSession(Channel channel) {
        this.channel = channel;
        this.pendingPushes = new PendingRequests(channel.eventLoop());
    }

    void send(Frame frame) {
        channel.writeAndFlush(frame);
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
        PendingRequests.Pending push = pendingPushes.register();
        long id = push.id();
        Frame frame = Frame.newBuilder().setRequest(Request.newBuilder().setId(id).setPath(path).setBody(body)).build();
        (flush ? channel.writeAndFlush(frame) : channel.write(frame))
                .addListener(write -> {
                    if (!write.isSuccess()) {
                        pendingPushes.fail(id, write.cause());
                    }
                });
        if (!channel.isActive()) {
            pendingPushes.fail(id, new IOException("connection closed"));
        }
        return push.response();
    }

    void onResponse(Response response) {
        pendingPushes.complete(response);
    }

    void onClosed() {
        pendingPushes.failAll(new IOException("connection closed"));
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
