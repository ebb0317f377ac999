// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The typed getters: what they accept, and -32602 naming the parameter for everything else. */
class RpcCallTest {
    private final RecordingPeer peer = new RecordingPeer("test");

    @Test
    void stringsAndTheirAbsence() throws Exception {
        RpcCall call = call("{\"groupId\":\"g\",\"gone\":null}");

        assertThat(call.string("groupId")).isEqualTo("g");
        assertThat(call.optionalString("groupId")).contains("g");
        assertThat(call.optionalString("gone")).isEmpty();
        assertThat(call.optionalString("absent")).isEmpty();
        assertInvalid(() -> call.string("gone"), "missing required parameter 'gone'");
        assertInvalid(() -> call("{\"groupId\":5}").string("groupId"), "parameter 'groupId' must be a string");
    }

    @Test
    void aStringListTakesOneStringOrAnArrayOfStrings() throws Exception {
        assertThat(call("{\"recipient\":\"alice\"}").stringList("recipient")).containsExactly("alice");
        assertThat(call("{\"recipient\":[\"alice\",\"bob\"]}").stringList("recipient")).containsExactly("alice", "bob");
        assertThat(call("{}").stringList("recipient")).isEmpty();
        assertInvalid(() -> call("{\"recipient\":[\"alice\",3]}").stringList("recipient"), "'recipient'");
        assertInvalid(() -> call("{\"recipient\":{}}").stringList("recipient"), "'recipient'");
    }

    @Test
    void integersAreCheckedForTypeAndRange() throws Exception {
        RpcCall call = call("{\"timestamp\":1700000000000,\"count\":3,\"big\":3000000000,\"half\":1.5,\"text\":\"3\"}");

        assertThat(call.optionalLong("timestamp")).hasValue(1_700_000_000_000L);
        assertThat(call.optionalInt("count")).hasValue(3);
        assertThat(call.optionalLong("big")).hasValue(3_000_000_000L);
        assertThat(call.optionalLong("absent")).isEmpty();
        assertInvalid(() -> call.optionalInt("big"), "'big'");
        assertInvalid(() -> call.optionalLong("half"), "'half' must be an integer");
        assertInvalid(() -> call.optionalLong("text"), "'text'");
        assertInvalid(() -> call("{\"huge\":99999999999999999999}").optionalLong("huge"), "'huge'");
    }

    @Test
    void booleansAndRawValues() throws Exception {
        RpcCall call = call("{\"flag\":true,\"yes\":\"true\",\"nested\":{\"a\":[1]}}");

        assertThat(call.bool("flag", false)).isTrue();
        assertThat(call.bool("absent", true)).isTrue();
        assertInvalid(() -> call.bool("yes", false), "parameter 'yes' must be true or false");
        assertThat(call.raw("nested")).hasValueSatisfying(node -> assertThat(node.at("/a/0").intValue()).isEqualTo(1));
        assertThat(call.raw("absent")).isEmpty();
    }

    @Test
    void aCallWithoutParamsHasNoneAndKnowsItsPeer() throws Exception {
        RpcCall call = new RpcCall("send", null, peer);

        assertThat(call.optionalString("x")).isEmpty();
        assertThat(call.connection()).isSameAs(peer);
        assertThat(call.method()).isEqualTo("send");
    }

    private RpcCall call(String params) {
        return new RpcCall("test", (ObjectNode) RecordingPeer.parse(params), peer);
    }

    private static void assertInvalid(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.code()).isEqualTo(RpcErrorCode.INVALID_PARAMS);
            assertThat(e.getMessage()).contains(message);
        });
    }
}
