// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcParam;
import org.svyaz.client.SvyazClient;

/**
 * One thing a user can do with an account, named and shaped as signal-cli names it: the daemon
 * serves it as a JSON-RPC method and the CLI runs the same code, so both give the same JSON.
 */
public interface AccountMethod {
    String name();

    String summary();

    List<RpcParam> params();

    /** Runs the call on an open account and returns the JSON result (signal-cli's shape). */
    JsonNode run(SvyazClient client, RpcCall call) throws Exception;

    /** The body of a method: what it does with the account and the call's parameters. */
    @FunctionalInterface
    interface Body {
        JsonNode run(SvyazClient client, RpcCall call) throws Exception;
    }

    static AccountMethod of(String name, String summary, List<RpcParam> params, Body body) {
        return new Simple(name, summary, params, body);
    }

    /** A method made of its parts. */
    record Simple(String name, String summary, List<RpcParam> params, Body body) implements AccountMethod {
        @Override
        public JsonNode run(SvyazClient client, RpcCall call) throws Exception {
            return body.run(client, call);
        }
    }
}
