// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class JavaHeapTest {
    @Test
    void readsTheWholeHeapsUsedBytesFromG1sHeapInfo() {
        String heapInfo = """
                12345:
                 garbage-first heap   total reserved 6291456K, committed 262144K, used 48211K [0x0000000680000000, 0x0000000800000000)
                  region size 4096K, 3 young (12288K), 0 survivors (0K)
                 Metaspace       used 30811K, committed 31232K, reserved 1114112K
                """;

        assertThat(JavaHeap.usedBytes(heapInfo)).contains(48211L * 1024);
        assertThat(JavaHeap.usedBytes("12345:\nAttach failed")).isEmpty();
    }

    @Test
    void readsALiveJvmsHeapAfterAFullCollection() {
        byte[][] held = new byte[64][];
        for (int i = 0; i < held.length; i++) {
            held[i] = new byte[1024 * 1024];
        }

        Optional<Long> live = JavaHeap.liveBytesAfterFullGc(ProcessHandle.current().pid());

        // What this test holds is live, so it is in the heap after the collection.
        assertThat(live).hasValueSatisfying(bytes -> assertThat(bytes).isGreaterThan(64L * 1024 * 1024));
        assertThat(held[63]).hasSize(1024 * 1024);
        assertThat(JavaHeap.liveBytesAfterFullGc(Long.MAX_VALUE)).isEmpty();
    }
}
