// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.svyaz.protocol.wire.ErrorCode;

/**
 * A request failed in a way the caller should be told about. The message is a sentence for a
 * person and never names an account, a username or message content.
 */
public final class ApiException extends Exception {
    private final ErrorCode code;
    private final ByteString detail;

    public ApiException(ErrorCode code, String message) {
        this(code, message, ByteString.EMPTY);
    }

    public ApiException(ErrorCode code, String message, Message detail) {
        this(code, message, detail.toByteString());
    }

    private ApiException(ErrorCode code, String message, ByteString detail) {
        super(message, null, false, false);
        this.code = code;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    /** A protobuf body that explains the error further (for STALE_DEVICES: which devices). */
    public ByteString detail() {
        return detail;
    }

    public static ApiException malformed(String message) {
        return new ApiException(ErrorCode.MALFORMED, message);
    }

    public static ApiException unavailable() {
        return new ApiException(ErrorCode.UNAVAILABLE, "The server's storage is unavailable; try again later.");
    }
}
