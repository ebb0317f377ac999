// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** JSON-RPC 2.0 over single frames: every error code, notifications and batches. */
class RpcDispatcherTest {
    private final TestMethods methods = new TestMethods();
    private final RpcDispatcher dispatcher = new RpcDispatcher(
            methods.table(new ReceiveHub(ReceiveMode.ON_START, () -> { })));
    private final RecordingPeer peer = new RecordingPeer("test");

    @Test
    void aCallGetsItsResultWithItsId() {
        JsonNode reply = reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"hi\"},\"id\":\"my mark\"}");

        assertThat(reply.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"result\":\"hi\",\"id\":\"my mark\"}");
    }

    @Test
    void numericAndNullIdsAreEchoedAndANullResultIsStillThere() {
        assertThat(reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"x\"},\"id\":7}").get("id").intValue())
                .isEqualTo(7);
        JsonNode nullId = reply("{\"jsonrpc\":\"2.0\",\"method\":\"touch\",\"id\":null}");
        assertThat(nullId.has("id")).isTrue();
        assertThat(nullId.get("id").isNull()).isTrue();
        assertThat(nullId.has("result")).isTrue();
        assertThat(nullId.get("result").isNull()).isTrue();
    }

    @Test
    void textThatIsNotJsonIsAParseErrorWithNullId() {
        for (String frame : new String[] {"{", "", "not json", "{\"jsonrpc\":\"2.0\",\"method\":\"touch\",\"id\":1} extra",
                "{\"jsonrpc\":\"2.0\",\"method\":\"touch\",\"method\":\"echo\",\"id\":1}"}) {
            JsonNode reply = reply(frame);
            assertThat(reply.at("/error/code").intValue()).as(frame).isEqualTo(RpcErrorCode.PARSE_ERROR);
            assertThat(reply.get("id").isNull()).as(frame).isTrue();
        }
        assertThat(methods.touched).hasValue(0);
    }

    @Test
    void aRequestThatIsNotAnObjectIsInvalid() {
        JsonNode reply = reply("42");

        assertThat(reply.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(reply.get("id").isNull()).isTrue();
    }

    @Test
    void aMissingMethodIsInvalidAndTheErrorHasCodeMessageAndData() {
        JsonNode reply = reply("{\"jsonrpc\":\"2.0\"}");

        assertThat(reply.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,"
                + "\"message\":\"method field must be set\",\"data\":null},\"id\":null}");
    }

    @Test
    void aWrongVersionAWrongMethodTypeBadParamsOrABadIdAreInvalid() {
        assertThat(code("{\"method\":\"touch\",\"id\":1}")).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(code("{\"jsonrpc\":\"1.0\",\"method\":\"touch\",\"id\":1}")).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(code("{\"jsonrpc\":2.0,\"method\":\"touch\",\"id\":1}")).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(code("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}")).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(code("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":\"hi\",\"id\":1}"))
                .isEqualTo(RpcErrorCode.INVALID_REQUEST);
        JsonNode badId = reply("{\"jsonrpc\":\"2.0\",\"method\":\"touch\",\"id\":{\"a\":1}}");
        assertThat(badId.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(badId.get("id").isNull()).isTrue();
        assertThat(methods.touched).hasValue(0);
    }

    @Test
    void anInvalidRequestWithAReadableIdEchoesIt() {
        assertThat(reply("{\"jsonrpc\":\"1.0\",\"method\":\"touch\",\"id\":\"abc\"}").get("id").textValue()).isEqualTo("abc");
    }

    @Test
    void anUnknownMethodIsMethodNotFound() {
        JsonNode reply = reply("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}");

        assertThat(reply.at("/error/code").intValue()).isEqualTo(RpcErrorCode.METHOD_NOT_FOUND);
        assertThat(reply.at("/error/message").textValue()).contains("nope");
    }

    @Test
    void badParamsAreInvalidParamsNamingTheParameter() {
        JsonNode missing = reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{},\"id\":1}");
        assertThat(missing.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_PARAMS);
        assertThat(missing.at("/error/message").textValue()).isEqualTo("missing required parameter 'text'");

        JsonNode wrongType = reply("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"name\":\"a\",\"count\":\"3\"},\"id\":1}");
        assertThat(wrongType.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_PARAMS);
        assertThat(wrongType.at("/error/message").textValue()).contains("'count'");

        JsonNode positional = reply("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"hi\"],\"id\":1}");
        assertThat(positional.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_PARAMS);
    }

    @Test
    void anRpcExceptionKeepsItsCodeMessageAndData() {
        JsonNode reply = reply("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":1}");

        assertThat(reply.at("/error/code").intValue()).isEqualTo(RpcErrorCode.RATE_LIMITED).isEqualTo(-5);
        assertThat(reply.at("/error/message").textValue()).isEqualTo("slow down");
        assertThat(reply.at("/error/data/retryAfterSeconds").intValue()).isEqualTo(30);
    }

    @Test
    void anyOtherExceptionIsAnInternalErrorThatLeaksNothing() {
        String reply = dispatcher.handle("{\"jsonrpc\":\"2.0\",\"method\":\"crash\",\"id\":1}", peer).orElseThrow();

        JsonNode parsed = RecordingPeer.parse(reply);
        assertThat(parsed.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INTERNAL_ERROR);
        assertThat(parsed.at("/error/message").textValue()).isEqualTo("internal error");
        assertThat(reply).doesNotContain(TestMethods.SECRET).doesNotContain("IllegalStateException");
    }

    @Test
    void aNotificationRunsButIsNeverAnswered() {
        assertThat(dispatcher.handle("{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}", peer)).isEmpty();
        assertThat(methods.touched).hasValue(1);
        assertThat(dispatcher.handle("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}", peer)).isEmpty();
        assertThat(dispatcher.handle("{\"jsonrpc\":\"2.0\",\"method\":\"crash\"}", peer)).isEmpty();
        assertThat(dispatcher.handle("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{}}", peer)).isEmpty();
    }

    @Test
    void aBatchGetsAnArrayOfRepliesForItsRequestsInOrder() {
        JsonNode replies = reply("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"a\"},\"id\":1},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"touch\"},"
                + "1,"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"x\"},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"b\"},\"id\":2}]");

        assertThat(replies.isArray()).isTrue();
        assertThat(replies).hasSize(4);
        assertThat(replies.get(0).get("result").textValue()).isEqualTo("a");
        assertThat(replies.get(1).at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_REQUEST);
        assertThat(replies.get(2).at("/error/code").intValue()).isEqualTo(RpcErrorCode.METHOD_NOT_FOUND);
        assertThat(replies.get(2).get("id").textValue()).isEqualTo("x");
        assertThat(replies.get(3).get("result").textValue()).isEqualTo("b");
        assertThat(methods.touched).hasValue(1);
    }

    @Test
    void anEmptyBatchIsOneInvalidRequestError() {
        JsonNode reply = reply("[]");

        assertThat(reply.isObject()).isTrue();
        assertThat(reply.at("/error/code").intValue()).isEqualTo(RpcErrorCode.INVALID_REQUEST);
    }

    @Test
    void aBatchOfNotificationsGetsNoReply() {
        Optional<String> reply = dispatcher.handle("[{\"jsonrpc\":\"2.0\",\"method\":\"touch\"},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}]", peer);

        assertThat(reply).isEmpty();
        assertThat(methods.touched).hasValue(2);
    }

    @Test
    void subscribeReceiveOverHttpIsAUserError() {
        JsonNode reply = RecordingPeer.parse(dispatcher.handle(
                "{\"jsonrpc\":\"2.0\",\"method\":\"subscribeReceive\",\"id\":1}", HttpPeer.INSTANCE).orElseThrow());

        assertThat(reply.at("/error/code").intValue()).isEqualTo(RpcErrorCode.USER_ERROR);
        assertThat(reply.at("/error/message").textValue()).contains("/api/v1/events");
    }

    private JsonNode reply(String frame) {
        return RecordingPeer.parse(dispatcher.handle(frame, peer).orElseThrow());
    }

    private int code(String frame) {
        return reply(frame).at("/error/code").intValue();
    }
}
