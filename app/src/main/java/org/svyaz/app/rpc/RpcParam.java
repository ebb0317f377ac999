// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.util.Locale;
import java.util.Objects;

/**
 * One named parameter of an {@link RpcMethod}, as {@code rpc.discover} describes it.
 *
 * @param name camelCase, as on the wire ({@code groupId}, not {@code group-id})
 * @param type the JSON type the method expects
 * @param required whether a call without it fails with -32602
 * @param description one sentence for the reader of the OpenRPC document
 */
public record RpcParam(String name, Type type, boolean required, String description) {
    /** The JSON Schema type names a parameter can have. */
    public enum Type {
        STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, OBJECT;

        /** The name JSON Schema uses: {@code "string"}, {@code "integer"}… */
        public String schemaName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public RpcParam {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        if (name.isEmpty() || name.contains("-")) {
            throw new IllegalArgumentException("parameter names are camelCase: " + name);
        }
    }

    public static RpcParam required(String name, Type type, String description) {
        return new RpcParam(name, type, true, description);
    }

    public static RpcParam optional(String name, Type type, String description) {
        return new RpcParam(name, type, false, description);
    }
}
