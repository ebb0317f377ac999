// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import java.util.List;

/** {@code subscribeReceive}: this connection gets every incoming message, wrapped with the returned id. */
final class SubscribeReceiveMethod implements RpcMethod {
    private final ReceiveHub hub;

    SubscribeReceiveMethod(ReceiveHub hub) {
        this.hub = hub;
    }

    @Override
    public String name() {
        return "subscribeReceive";
    }

    @Override
    public String summary() {
        return "Sends incoming messages to this connection as 'receive' notifications; returns the subscription id.";
    }

    @Override
    public List<RpcParam> params() {
        return List.of();
    }

    @Override
    public JsonNode call(RpcCall call) throws RpcException {
        return IntNode.valueOf(hub.subscribe(call.connection()));
    }
}
