// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RelayOptionsTest {
    private static final Duration DRAIN = Duration.ofSeconds(1);

    @Test
    void quotasSpreadTheMessagesEvenlyAndAddUpToTheTotal() {
        assertThat(new RelayOptions(3, 11, 64, 1, DRAIN, 0).quotas()).containsExactly(4, 4, 3);
        assertThat(Arrays.stream(new RelayOptions(1000, 200_000, 256, 16, DRAIN, 0).quotas()).sum()).isEqualTo(200_000);
        assertThat(new RelayOptions(4, 2, 64, 1, DRAIN, 0).quotas()).containsExactly(1, 1, 0, 0);
    }

    @Test
    void impossibleRunsAreRefusedUpFront() {
        assertThatThrownBy(() -> new RelayOptions(1, 10, 64, 1, DRAIN, 0)).hasMessageContaining("--users");
        assertThatThrownBy(() -> new RelayOptions(2, 0, 64, 1, DRAIN, 0)).hasMessageContaining("--messages");
        assertThatThrownBy(() -> new RelayOptions(2, 10, 23, 1, DRAIN, 0)).hasMessageContaining("--size");
        assertThatThrownBy(() -> new RelayOptions(2, 10, RelayOptions.MAX_SIZE + 1, 1, DRAIN, 0))
                .hasMessageContaining("--size");
        assertThatThrownBy(() -> new RelayOptions(2, 10, 64, 0, DRAIN, 0)).hasMessageContaining("--window");
        assertThatThrownBy(() -> new RelayOptions(2, 10, 64, 1, Duration.ZERO, 0)).hasMessageContaining("drain");
        assertThatThrownBy(() -> new RelayOptions(2, 10, 64, 1, DRAIN, 0, -1)).hasMessageContaining("--rate");
        assertThatThrownBy(() -> new RelayOptions(2, 10, 64, 1, DRAIN, 0, Double.NaN)).hasMessageContaining("--rate");
    }
}
