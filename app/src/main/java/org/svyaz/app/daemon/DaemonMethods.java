// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcMethod;
import org.svyaz.app.rpc.RpcParam;
import org.svyaz.client.SvyazClient;

/** Methods about the daemon itself rather than one account. */
final class DaemonMethods {
    private DaemonMethods() {}

    static List<RpcMethod> all(OpenAccounts accounts, String version) {
        return List.of(
                method("version", "The daemon's name and version.", call ->
                        JsonNodeFactory.instance.objectNode().put("version", version)),
                method("listAccounts", "The accounts this daemon serves.", call -> {
                    ArrayNode list = JsonNodeFactory.instance.arrayNode();
                    for (SvyazClient client : accounts.all()) {
                        list.addObject()
                                .putNull("number")
                                .put("username", client.username());
                    }
                    return list;
                }));
    }

    @FunctionalInterface
    private interface Body {
        JsonNode run(RpcCall call) throws Exception;
    }

    private static RpcMethod method(String name, String summary, Body body) {
        return new RpcMethod() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String summary() {
                return summary;
            }

            @Override
            public List<RpcParam> params() {
                return List.of();
            }

            @Override
            public JsonNode call(RpcCall call) throws Exception {
                return body.run(call);
            }
        };
    }
}
