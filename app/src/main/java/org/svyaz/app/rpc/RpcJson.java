// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/** The shapes of JSON-RPC 2.0 messages on the wire, and the one mapper that reads and writes them. */
final class RpcJson {
    /**
     * Strict on input: trailing text after the JSON value and duplicate keys are parse errors, so a
     * request can never mean two things (which "id" or "method" wins).
     */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private RpcJson() {}

    static ObjectNode result(JsonNode id, JsonNode result) {
        ObjectNode reply = envelope();
        reply.set("result", result == null ? NullNode.instance : result);
        reply.set("id", id);
        return reply;
    }

    /** An error reply; {@code data} is always present, null when there is none, as signal-cli sends it. */
    static ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
        ObjectNode error = MAPPER.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        error.set("data", data == null ? NullNode.instance : data);
        ObjectNode reply = envelope();
        reply.set("error", error);
        reply.set("id", id == null ? NullNode.instance : id);
        return reply;
    }

    static ObjectNode error(JsonNode id, RpcException exception) {
        return error(id, exception.code(), exception.getMessage(), exception.data().orElse(null));
    }

    /** A notification from the daemon to a client: {@code {"jsonrpc":"2.0","method":…,"params":…}}. */
    static ObjectNode notification(String method, JsonNode params) {
        ObjectNode notification = envelope();
        notification.put("method", method);
        notification.set("params", params);
        return notification;
    }

    /** One line of compact JSON: Jackson escapes newlines inside strings, so it never spans two. */
    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // Only trees we built ourselves are written, and a tree always serialises.
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode envelope() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("jsonrpc", "2.0");
        return node;
    }
}
