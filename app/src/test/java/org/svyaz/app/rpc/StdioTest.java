// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code jsonRpc} mode: requests on stdin, replies on stdout, done at EOF once every call is answered. */
// A call that never ends must fail the test, never hang the build.
@Timeout(60)
class StdioTest {
    @Test
    void theInputEndingWaitsForEveryCallItStarted() throws Exception {
        TestMethods methods = new TestMethods();
        ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });
        methods.expectGathering(3);
        String input = """
                {"jsonrpc":"2.0","method":"gather","params":{"n":1},"id":1}
                {"jsonrpc":"2.0","method":"touch"}

                {"jsonrpc":"2.0","method":"gather","params":{"n":2},"id":2}
                not json
                {"jsonrpc":"2.0","method":"gather","params":{"n":3},"id":3}""";
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        try (Daemon daemon = Daemon.start(DaemonConfig.none(), methods.table(hub), hub, UnixSocketIT.quiet())) {
            // The gathers can only finish together, after the input has ended: serveStdio must wait for them.
            daemon.serveStdio(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out);
        }

        List<JsonNode> replies = Arrays.stream(out.toString(StandardCharsets.UTF_8).split("\n"))
                .map(RecordingPeer::parse).toList();
        assertThat(replies).hasSize(4);
        assertThat(replies).filteredOn(reply -> reply.has("result"))
                .extracting(reply -> reply.get("result").intValue()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(replies).filteredOn(reply -> reply.has("error"))
                .extracting(reply -> reply.at("/error/code").intValue()).containsExactly(RpcErrorCode.PARSE_ERROR);
        assertThat(methods.touched).hasValue(1);
        assertThat(hub.attachedPeers()).isZero();
    }
}
