// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One call's named parameters with typed getters. A getter that finds a missing required parameter or a
 * value of the wrong type throws -32602 with a message naming the parameter, so methods need no checks
 * of their own. A JSON {@code null} counts as absent.
 */
public final class RpcCall {
    private final String method;
    private final ObjectNode params;
    private final RpcPeer connection;

    /** @param params the request's {@code params}; {@code null} when it had none */
    public RpcCall(String method, ObjectNode params, RpcPeer connection) {
        this.method = Objects.requireNonNull(method, "method");
        this.params = params == null ? JsonNodeFactory.instance.objectNode() : params;
        this.connection = Objects.requireNonNull(connection, "connection");
    }

    public String method() {
        return method;
    }

    /** The peer the request came from (the HTTP pseudo-peer for {@code POST /api/v1/rpc}). */
    public RpcPeer connection() {
        return connection;
    }

    /** A required string. */
    public String string(String name) throws RpcException {
        return optionalString(name).orElseThrow(() -> missing(name));
    }

    public Optional<String> optionalString(String name) throws RpcException {
        JsonNode value = value(name);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw wrongType(name, "a string");
        }
        return Optional.of(value.textValue());
    }

    /**
     * Several strings, given as one string or as an array of strings (signal-cli's rule for parameters
     * that take several values). Absent gives an empty list; a method that needs one checks the size.
     */
    public List<String> stringList(String name) throws RpcException {
        JsonNode value = value(name);
        if (value == null) {
            return List.of();
        }
        if (value.isTextual()) {
            return List.of(value.textValue());
        }
        if (!value.isArray()) {
            throw wrongType(name, "a string or an array of strings");
        }
        List<String> strings = new ArrayList<>(value.size());
        for (JsonNode element : value) {
            if (!element.isTextual()) {
                throw wrongType(name, "a string or an array of strings");
            }
            strings.add(element.textValue());
        }
        return List.copyOf(strings);
    }

    public OptionalLong optionalLong(String name) throws RpcException {
        JsonNode value = value(name);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw wrongType(name, "an integer");
        }
        return OptionalLong.of(value.longValue());
    }

    public long requiredLong(String name) throws RpcException {
        OptionalLong value = optionalLong(name);
        if (value.isEmpty()) {
            throw RpcException.invalidParams("missing required parameter '" + name + "'");
        }
        return value.getAsLong();
    }

    public int requiredInt(String name) throws RpcException {
        OptionalInt value = optionalInt(name);
        if (value.isEmpty()) {
            throw RpcException.invalidParams("missing required parameter '" + name + "'");
        }
        return value.getAsInt();
    }

    public OptionalInt optionalInt(String name) throws RpcException {
        JsonNode value = value(name);
        if (value == null) {
            return OptionalInt.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw wrongType(name, "an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE);
        }
        return OptionalInt.of(value.intValue());
    }

    public boolean bool(String name, boolean absent) throws RpcException {
        JsonNode value = value(name);
        if (value == null) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw wrongType(name, "true or false");
        }
        return value.booleanValue();
    }

    /** The parameter as sent, for shapes the getters do not cover; empty when absent or null. */
    public Optional<JsonNode> raw(String name) {
        return Optional.ofNullable(value(name));
    }

    private JsonNode value(String name) {
        JsonNode value = params.get(name);
        return value == null || value.isNull() ? null : value;
    }

    private static RpcException missing(String name) {
        return RpcException.invalidParams("missing required parameter '" + name + "'");
    }

    private static RpcException wrongType(String name, String expected) {
        return RpcException.invalidParams("parameter '" + name + "' must be " + expected);
    }
}
