// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PayloadTest {
    @Test
    void theHeaderSurvivesAndTheBlobHasTheRequestedSize() {
        Payload payload = new Payload(12, 999, 41, 1234567890123L);
        byte[] blob = payload.encode(256, new byte[] {1, 2, 3});

        assertThat(blob).hasSize(256);
        assertThat(Payload.decode(blob)).contains(payload);
        assertThat(Arrays.copyOfRange(blob, Payload.HEADER_BYTES, Payload.HEADER_BYTES + 4))
                .containsExactly(1, 2, 3, 1);
    }

    @Test
    void theSmallestMessageIsTheHeader() {
        Payload payload = new Payload(0, 1, 0, -5);
        assertThat(Payload.decode(payload.encode(Payload.HEADER_BYTES, new byte[0]))).contains(payload);
        assertThatThrownBy(() -> payload.encode(Payload.HEADER_BYTES - 1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blobsThatAreNotBenchmarkMessagesDecodeToNothing() {
        assertThat(Payload.decode(new byte[10])).isEmpty();
        assertThat(Payload.decode(new byte[64])).isEmpty(); // no magic
    }
}
