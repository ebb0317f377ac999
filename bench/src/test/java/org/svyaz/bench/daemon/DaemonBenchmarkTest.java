// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class DaemonBenchmarkTest {
    private static JsonNode reply(String json) throws Exception {
        return RpcConnection.JSON.readTree(json);
    }

    @Test
    void aSendIsASuccessOnlyWhenEveryRecipientSucceeded() throws Exception {
        assertThat(DaemonBenchmark.failure(reply("""
                {"jsonrpc":"2.0","id":3,"result":{"timestamp":1,"results":[{"type":"SUCCESS"}]}}"""))).isEmpty();
        assertThat(DaemonBenchmark.failure(reply("""
                {"jsonrpc":"2.0","id":3,"result":{"timestamp":1,"results":[{"type":"SUCCESS"},
                {"type":"RATE_LIMIT_FAILURE"}]}}"""))).hasValue("RATE_LIMIT_FAILURE");
        assertThat(DaemonBenchmark.failure(reply("""
                {"jsonrpc":"2.0","id":3,"result":{"timestamp":1,"results":[]}}"""))).hasValue("no results");
        assertThat(DaemonBenchmark.failure(reply("""
                {"jsonrpc":"2.0","id":3,"error":{"code":-5,"message":"rate limited"}}"""))).hasValue("error -5");
    }
}
