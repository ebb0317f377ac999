// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A failure a method describes to its caller: it becomes the reply's error object
 * {@code {"code":…,"message":…,"data":…}}. Codes are in {@link RpcErrorCode}.
 *
 * <p>The message and data go to the client as they are, so they must not carry anything the caller may
 * not see. It carries no stack trace: it is an answer, not a bug report.
 */
public final class RpcException extends Exception {
    private final int code;
    private final JsonNode data;

    public RpcException(int code, String message) {
        this(code, message, null);
    }

    public RpcException(int code, String message, JsonNode data) {
        super(message, null, false, false);
        this.code = code;
        this.data = data;
    }

    /** A -32602 error; the message must name the parameter. */
    public static RpcException invalidParams(String message) {
        return new RpcException(RpcErrorCode.INVALID_PARAMS, message);
    }

    /** A -1 error: the caller asked for something that cannot be done. */
    public static RpcException userError(String message) {
        return new RpcException(RpcErrorCode.USER_ERROR, message);
    }

    public int code() {
        return code;
    }

    public Optional<JsonNode> data() {
        return Optional.ofNullable(data);
    }
}
