// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table's names, and rpc.discover describing exactly that table. */
class MethodTableTest {
    private final ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });

    @Test
    void theTableHoldsTheApplicationsMethodsThenTheBuiltIns() {
        MethodTable table = new TestMethods().table(hub);

        assertThat(table.methods()).extracting(RpcMethod::name).containsExactly(
                "echo", "gather", "hold", "touch", "typed", "fail", "crash",
                "subscribeReceive", "unsubscribeReceive", "rpc.discover");
        assertThat(table.find("echo")).isPresent();
        assertThat(table.find("send")).isEmpty();
    }

    @Test
    void namesMustBeUniqueAndMayNotTakeABuiltInsOrTheRpcPrefix() {
        RpcMethod echo = TestMethods.method("echo", List.of(), call -> TextNode.valueOf("x"));
        assertThatThrownBy(() -> new MethodTable(List.of(echo, echo), hub)).hasMessageContaining("echo");
        RpcMethod clash = TestMethods.method("subscribeReceive", List.of(), call -> null);
        assertThatThrownBy(() -> new MethodTable(List.of(clash), hub)).hasMessageContaining("subscribeReceive");
        RpcMethod reserved = TestMethods.method("rpc.mine", List.of(), call -> null);
        assertThatThrownBy(() -> new MethodTable(List.of(reserved), hub)).hasMessageContaining("rpc.");
    }

    @Test
    void discoverListsExactlyTheTablesMethodsWithTheirParams() {
        MethodTable table = new TestMethods().table(hub);
        JsonNode document = RecordingPeer.parse(new RpcDispatcher(table).handle(
                "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}", new RecordingPeer("p")).orElseThrow())
                .get("result");

        assertThat(document.get("openrpc").textValue()).startsWith("1.2.");
        assertThat(document.at("/info/title").textValue()).isNotBlank();
        List<String> names = new ArrayList<>();
        document.get("methods").forEach(method -> names.add(method.get("name").textValue()));
        assertThat(names).containsExactlyElementsOf(table.methods().stream().map(RpcMethod::name).toList());

        JsonNode typed = method(document, "typed");
        assertThat(typed.get("summary").textValue()).isEqualTo("Test method typed.");
        assertThat(typed.get("params")).hasSize(5);
        assertThat(typed.at("/params/0/name").textValue()).isEqualTo("name");
        assertThat(typed.at("/params/0/required").booleanValue()).isTrue();
        assertThat(typed.at("/params/0/schema/type").textValue()).isEqualTo("string");
        assertThat(typed.at("/params/1/schema/type").textValue()).isEqualTo("array");
        assertThat(typed.at("/params/4/required").booleanValue()).isFalse();
        assertThat(typed.at("/params/4/schema/type").textValue()).isEqualTo("boolean");
        assertThat(typed.has("result")).isTrue();

        JsonNode unsubscribe = method(document, "unsubscribeReceive");
        assertThat(unsubscribe.at("/params/0/name").textValue()).isEqualTo("subscription");
        assertThat(unsubscribe.at("/params/0/schema/type").textValue()).isEqualTo("integer");
    }

    private static JsonNode method(JsonNode document, String name) {
        for (JsonNode method : document.get("methods")) {
            if (method.get("name").textValue().equals(name)) {
                return method;
            }
        }
        throw new AssertionError("rpc.discover does not list " + name);
    }
}
