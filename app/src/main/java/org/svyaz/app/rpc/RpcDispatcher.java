// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 over one text frame (a line, or an HTTP body): parse, validate, call the method, shape
 * the reply. Stateless and thread-safe; transports call it concurrently.
 *
 * <p>A request without {@code id} is a notification: it runs and gets no reply, even when it fails. A
 * message that is not a valid request always gets an error reply, with the id echoed when it was a valid
 * id and null otherwise. A batch runs its requests one after the other, in order.
 */
public final class RpcDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RpcDispatcher.class);

    private final MethodTable methods;

    public RpcDispatcher(MethodTable methods) {
        this.methods = Objects.requireNonNull(methods, "methods");
    }

    /** The reply to one frame, or empty when it held only notifications. */
    public Optional<String> handle(String frame, RpcPeer peer) {
        JsonNode message;
        try {
            message = RpcJson.MAPPER.readTree(frame);
        } catch (JsonProcessingException e) {
            message = null;
        }
        if (message == null || message.isMissingNode()) {
            return Optional.of(RpcJson.write(
                    RpcJson.error(NullNode.instance, RpcErrorCode.PARSE_ERROR, "parse error: not valid JSON", null)));
        }
        if (message.isArray()) {
            return batch((ArrayNode) message, peer).map(RpcJson::write);
        }
        return one(message, peer).map(RpcJson::write);
    }

    private Optional<JsonNode> batch(ArrayNode requests, RpcPeer peer) {
        if (requests.isEmpty()) {
            return Optional.of(invalid(null, "a batch must hold at least one request"));
        }
        ArrayNode replies = RpcJson.MAPPER.createArrayNode();
        for (JsonNode request : requests) {
            one(request, peer).ifPresent(replies::add);
        }
        return replies.isEmpty() ? Optional.empty() : Optional.of(replies);
    }

    private Optional<ObjectNode> one(JsonNode request, RpcPeer peer) {
        // Phase 1: is it a request at all? These errors are answered even for notifications.
        if (!request.isObject()) {
            return Optional.of(invalid(null, "a request must be a JSON object"));
        }
        JsonNode id = request.get("id");
        if (id != null && !(id.isTextual() || id.isNumber() || id.isNull())) {
            return Optional.of(invalid(null, "id must be a string, a number or null"));
        }
        JsonNode version = request.get("jsonrpc");
        if (version == null || !version.isTextual() || !version.textValue().equals("2.0")) {
            return Optional.of(invalid(id, "jsonrpc field must be \"2.0\""));
        }
        JsonNode method = request.get("method");
        if (method == null || method.isNull()) {
            return Optional.of(invalid(id, "method field must be set"));
        }
        if (!method.isTextual()) {
            return Optional.of(invalid(id, "method must be a string"));
        }
        JsonNode params = request.get("params");
        if (params != null && !params.isNull() && !params.isContainerNode()) {
            return Optional.of(invalid(id, "params must be an object"));
        }
        // Phase 2: run it. From here on a notification's outcome is never sent.
        ObjectNode reply = call(id, method.textValue(), params, peer);
        return id == null ? Optional.empty() : Optional.of(reply);
    }

    private ObjectNode call(JsonNode id, String name, JsonNode params, RpcPeer peer) {
        Optional<RpcMethod> method = methods.find(name);
        if (method.isEmpty()) {
            return RpcJson.error(id, RpcErrorCode.METHOD_NOT_FOUND, "method not found: " + name, null);
        }
        if (params != null && params.isArray()) {
            return RpcJson.error(id, RpcErrorCode.INVALID_PARAMS,
                    "params must be an object: parameters are passed by name", null);
        }
        ObjectNode named = params == null || params.isNull() ? null : (ObjectNode) params;
        try {
            return RpcJson.result(id, method.get().call(new RpcCall(name, named, peer)));
        } catch (RpcException e) {
            return RpcJson.error(id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return internalError(id, name, e);
        } catch (Exception | Error e) {
            // An Error too (a StackOverflowError, a failed assertion): the caller still gets its answer.
            return internalError(id, name, e);
        }
    }

    private static ObjectNode internalError(JsonNode id, String method, Throwable e) {
        // The class name only: a message or stack trace could carry a recipient, a body or a path.
        log.warn("Method {} failed: {}", method, e.getClass().getName());
        return RpcJson.error(id, RpcErrorCode.INTERNAL_ERROR, "internal error", null);
    }

    private static ObjectNode invalid(JsonNode id, String message) {
        return RpcJson.error(id, RpcErrorCode.INVALID_REQUEST, message, null);
    }
}
