// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;

/** {@code rpc.discover}: an OpenRPC 1.2 document generated from the method table on every call. */
final class DiscoverMethod implements RpcMethod {
    static final String OPENRPC_VERSION = "1.2.6";

    private final MethodTable table;

    DiscoverMethod(MethodTable table) {
        this.table = table;
    }

    @Override
    public String name() {
        return "rpc.discover";
    }

    @Override
    public String summary() {
        return "Describes every method of this daemon as an OpenRPC document.";
    }

    @Override
    public List<RpcParam> params() {
        return List.of();
    }

    @Override
    public JsonNode call(RpcCall call) {
        ObjectNode document = RpcJson.MAPPER.createObjectNode();
        document.put("openrpc", OPENRPC_VERSION);
        ObjectNode info = document.putObject("info");
        info.put("title", "Svyaz JSON-RPC");
        info.put("version", Optional.ofNullable(DiscoverMethod.class.getPackage().getImplementationVersion())
                .orElse("development"));
        ArrayNode methods = document.putArray("methods");
        for (RpcMethod method : table.methods()) {
            methods.add(describe(method));
        }
        return document;
    }

    private static ObjectNode describe(RpcMethod method) {
        ObjectNode described = RpcJson.MAPPER.createObjectNode();
        described.put("name", method.name());
        described.put("summary", method.summary());
        described.put("paramStructure", "by-name");
        ArrayNode params = described.putArray("params");
        for (RpcParam param : method.params()) {
            ObjectNode descriptor = params.addObject();
            descriptor.put("name", param.name());
            descriptor.put("description", param.description());
            descriptor.put("required", param.required());
            descriptor.putObject("schema").put("type", param.type().schemaName());
        }
        // OpenRPC 1.2 requires a result descriptor; results are method-specific JSON.
        ObjectNode result = described.putObject("result");
        result.put("name", "result");
        result.putObject("schema");
        return described;
    }
}
