// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FanoutOptionsTest {
    private static FanoutOptions options(int members, int senders, int messages, int size) {
        return new FanoutOptions(members, senders, messages, size, 8, Duration.ofSeconds(30), 1);
    }

    @Test
    void messagesGoRoundTheSenders() {
        assertThat(options(10, 3, 7, 256).messageSenders()).containsExactly(0, 1, 2, 0, 1, 2, 0);
        assertThat(options(10, 1, 3, 256).messageSenders()).containsExactly(0, 0, 0);
    }

    @Test
    void aGroupIsAtMostWhatAClientMakesAndNeedsSomeoneToSendTo() {
        assertThat(options(1000, 1, 1, 256).members()).isEqualTo(1000);
        assertThatThrownBy(() -> options(1001, 1, 1, 256)).hasMessageContaining("--members");
        assertThatThrownBy(() -> options(1, 1, 1, 256)).hasMessageContaining("--members");
        assertThatThrownBy(() -> options(5, 6, 1, 256)).hasMessageContaining("--senders");
        assertThatThrownBy(() -> options(5, 0, 1, 256)).hasMessageContaining("--senders");
    }

    @Test
    void messagesAndSizeAreChecked() {
        assertThatThrownBy(() -> options(5, 1, 0, 256)).hasMessageContaining("--messages");
        assertThatThrownBy(() -> options(5, 1, 1, 23)).hasMessageContaining("--size");
        assertThatThrownBy(() -> new FanoutOptions(5, 1, 1, 256, 0, Duration.ofSeconds(1), 1))
                .hasMessageContaining("--window");
    }
}
