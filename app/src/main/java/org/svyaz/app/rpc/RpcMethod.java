// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One JSON-RPC method. Calls arrive concurrently, each on its own virtual thread, so an implementation
 * must be thread-safe and may block.
 */
public interface RpcMethod {
    /** The {@code method} a request names, e.g. {@code send}. */
    String name();

    /** One line for {@code rpc.discover}. */
    String summary();

    /** Every parameter the method reads, for {@code rpc.discover}. */
    List<RpcParam> params();

    /**
     * Runs one call and returns its {@code result} ({@code null} is sent as JSON null).
     *
     * @throws RpcException a failure the caller should see as it is
     * @throws Exception anything else; the caller then sees -32603 "internal error" and nothing more
     */
    JsonNode call(RpcCall call) throws Exception;

    /** The body of a method made with {@link #of}. */
    @FunctionalInterface
    interface Body {
        JsonNode run(RpcCall call) throws Exception;
    }

    static RpcMethod of(String name, String summary, List<RpcParam> params, Body body) {
        return new Simple(name, summary, params, body);
    }

    /** A method made of its parts. */
    record Simple(String name, String summary, List<RpcParam> params, Body body) implements RpcMethod {
        @Override
        public JsonNode call(RpcCall call) throws Exception {
            return body.run(call);
        }
    }
}
