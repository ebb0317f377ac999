// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.List;

/** {@code unsubscribeReceive}: ends one subscription of this connection. */
final class UnsubscribeReceiveMethod implements RpcMethod {
    private final ReceiveHub hub;

    UnsubscribeReceiveMethod(ReceiveHub hub) {
        this.hub = hub;
    }

    @Override
    public String name() {
        return "unsubscribeReceive";
    }

    @Override
    public String summary() {
        return "Stops a subscription made with subscribeReceive on this connection.";
    }

    @Override
    public List<RpcParam> params() {
        return List.of(RpcParam.required("subscription", RpcParam.Type.INTEGER,
                "The id subscribeReceive returned."));
    }

    @Override
    public JsonNode call(RpcCall call) throws RpcException {
        int subscription = call.optionalInt("subscription")
                .orElseThrow(() -> RpcException.invalidParams("missing required parameter 'subscription'"));
        hub.unsubscribe(call.connection(), subscription);
        return NullNode.instance;
    }
}
