// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletableFuture;
import org.svyaz.protocol.wire.Response;

/** The server-to-device direction of one device's connection. */
public interface PushChannel {
    /** Sends a request to the device; the future completes with the device's answer, or fails when the connection drops. */
    CompletableFuture<Response> push(String path, ByteString body);

    /**
     * As {@link #push}, but the frame may wait in the connection's buffer until {@link #flush}: a
     * device draining its mailbox then gets many pushes in one TLS record and one write.
     */
    default CompletableFuture<Response> pushLater(String path, ByteString body) {
        return push(path, body);
    }

    /** Sends what {@link #pushLater} left waiting. */
    default void flush() {}

    boolean isOpen();

    /** Closes the connection with a WebSocket status code and a reason for the device. */
    void close(int statusCode, String reason);
}
