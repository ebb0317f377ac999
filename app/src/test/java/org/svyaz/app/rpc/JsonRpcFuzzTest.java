// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for the daemon's JSON-RPC input: newline-delimited frames ({@link LineReader}) and
 * each frame through {@link RpcDispatcher}, with methods that take every kind of parameter. A frame
 * always gets a JSON-RPC 2.0 reply (or none, for notifications only), with one of the documented
 * codes and never "internal error", which would mean a parameter slipped past the checks into a
 * method. Replayed from {@code JsonRpcFuzzTestInputs/} in every build; fuzzed with
 * {@code JAZZER_FUZZ=1} (SECURITY.md, "Fuzzing").
 */
class JsonRpcFuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    private static final int MAX_LINE_BYTES = 1024;
    private static final Set<Integer> CODES = Set.of(RpcErrorCode.PARSE_ERROR, RpcErrorCode.INVALID_REQUEST,
            RpcErrorCode.METHOD_NOT_FOUND, RpcErrorCode.INVALID_PARAMS, RpcErrorCode.RATE_LIMITED,
            RpcErrorCode.USER_ERROR);
    /** TestMethods' methods that answer at once; "hold" and "gather" wait for others, "crash" throws on purpose. */
    private static final Set<String> QUICK = Set.of("echo", "touch", "typed", "fail");
    private static final RpcDispatcher DISPATCHER = new RpcDispatcher(new MethodTable(
            new TestMethods().methods().stream().filter(method -> QUICK.contains(method.name())).toList(),
            new ReceiveHub(ReceiveMode.ON_START, () -> { })));

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void lines(byte[] bytes) throws IOException {
        LineReader reader = new LineReader(new ByteArrayInputStream(bytes), MAX_LINE_BYTES);
        int newlines = 0;
        for (byte b : bytes) {
            newlines += b == '\n' ? 1 : 0;
        }
        int lines = 0;
        while (true) {
            String line;
            try {
                line = reader.readLine();
            } catch (OversizedLineException e) {
                lines++;
                assertThat(lines).isLessThanOrEqualTo(newlines + 1);
                continue;
            }
            if (line == null) {
                break;
            }
            lines++;
            assertThat(lines).as("one line per newline, and the last").isLessThanOrEqualTo(newlines + 1);
            assertThat(line.length()).isLessThanOrEqualTo(MAX_LINE_BYTES);
            assertThat(line).doesNotContain("\n");
            answer(line);
        }
    }

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void frame(byte[] bytes) {
        answer(new String(bytes, StandardCharsets.UTF_8));
    }

    private static void answer(String frame) {
        RecordingPeer peer = new RecordingPeer("fuzz");
        Optional<String> reply = DISPATCHER.handle(frame, peer);
        if (reply.isEmpty()) {
            return; // only notifications
        }
        JsonNode json = RecordingPeer.parse(reply.get());
        if (json.isArray()) {
            assertThat(json.size()).isPositive();
            json.forEach(JsonRpcFuzzTest::checkReply);
        } else {
            checkReply(json);
        }
    }

    private static void checkReply(JsonNode reply) {
        assertThat(reply.path("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(reply.has("id")).isTrue();
        assertThat(reply.has("result") != reply.has("error")).as("a result or an error").isTrue();
        if (reply.has("error")) {
            assertThat(CODES).contains(reply.at("/error/code").intValue());
            assertThat(reply.at("/error/message").isTextual()).isTrue();
        }
        JsonNode id = reply.get("id");
        assertThat(id.isNull() || id.isTextual() || id.isNumber()).isTrue();
    }
}
