// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every method the daemon answers: the application's, then the engine's built-ins
 * ({@code subscribeReceive}, {@code unsubscribeReceive}, {@code rpc.discover}). {@code rpc.discover}
 * describes this very table, so the document cannot drift from what the daemon serves.
 */
public final class MethodTable {
    private final Map<String, RpcMethod> methods = new LinkedHashMap<>();

    /**
     * @throws IllegalArgumentException when two methods share a name, or a method takes a built-in's
     *     name or one starting with {@code rpc.} (JSON-RPC reserves those)
     */
    public MethodTable(List<RpcMethod> applicationMethods, ReceiveHub hub) {
        for (RpcMethod method : applicationMethods) {
            if (method.name().startsWith("rpc.")) {
                throw new IllegalArgumentException("JSON-RPC reserves names starting with 'rpc.': " + method.name());
            }
            add(method);
        }
        add(new SubscribeReceiveMethod(hub));
        add(new UnsubscribeReceiveMethod(hub));
        // It reads the table only when called, after this constructor has returned.
        add(new DiscoverMethod(this));
    }

    public Optional<RpcMethod> find(String name) {
        return Optional.ofNullable(methods.get(name));
    }

    /** All methods in table order: the application's as given, then the built-ins. */
    public List<RpcMethod> methods() {
        return List.copyOf(methods.values());
    }

    private void add(RpcMethod method) {
        if (methods.putIfAbsent(method.name(), method) != null) {
            throw new IllegalArgumentException("two methods are named " + method.name());
        }
    }
}
