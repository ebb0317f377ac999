// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * What a WebSocket message can do wrong on its way to a {@link org.svyaz.protocol.wire.Frame}, and
 * the close status and reason each one ends the connection with. The reasons are read by the peer:
 * they name the rule, never the offending bytes.
 */
public enum FrameViolation {
    /** A text (or other non-binary) message: frames travel as binary messages only. */
    NOT_BINARY(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "only binary frames are accepted"),
    /** A message longer than the codec's limit. */
    TOO_LARGE(WebSocketCloseStatus.MESSAGE_TOO_BIG, "frame too large"),
    /** Bytes that do not parse as a Frame. */
    MALFORMED(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "malformed frame"),
    /** A Frame with neither a request nor a response (zero bytes parse as one). */
    EMPTY(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "empty frame");

    private final WebSocketCloseStatus closeStatus;
    private final String reason;

    FrameViolation(WebSocketCloseStatus closeStatus, String reason) {
        this.closeStatus = closeStatus;
        this.reason = reason;
    }

    /** The status the connection is closed with: 1003, 1009 or 1007. */
    public WebSocketCloseStatus closeStatus() {
        return closeStatus;
    }

    /** The close frame's reason text. */
    public String reason() {
        return reason;
    }
}
