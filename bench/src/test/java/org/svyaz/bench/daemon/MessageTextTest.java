// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageTextTest {
    private final MessageText daemon = new MessageText("1a2b3c4d", "daemon");

    @Test
    void aTextIsExactlyTheSizeAskedAndGivesItsSequenceBack() {
        String text = daemon.text(1_234_567, 256);

        assertThat(text.getBytes(StandardCharsets.UTF_8)).hasSize(256);
        assertThat(daemon.sequenceOf(text)).hasValue(1_234_567);
        assertThat(daemon.sequenceOf(daemon.text(0, MessageText.MIN_SIZE))).hasValue(0);
    }

    @Test
    void textsOfAnotherPathOrRunOrNoneAtAllAreNotThisPaths() {
        String cli = new MessageText("1a2b3c4d", "cli").text(7, 100);
        String earlierRun = new MessageText("ffffffff", "daemon").text(7, 100);

        assertThat(daemon.sequenceOf(cli)).isEmpty();
        assertThat(daemon.sequenceOf(earlierRun)).isEmpty();
        assertThat(daemon.sequenceOf("hello")).isEmpty();
        assertThat(daemon.sequenceOf(null)).isEmpty();
        assertThat(daemon.sequenceOf("svyaz-bench 1a2b3c4d daemon 12")).as("no end to the number").isEmpty();
        assertThat(daemon.sequenceOf("svyaz-bench 1a2b3c4d daemon x1 ")).isEmpty();
        assertThat(daemon.sequenceOf("svyaz-bench 1a2b3c4d daemon -1 ")).isEmpty();
    }

    @Test
    void aSizeTooSmallForTheMarkerIsRefused() {
        assertThatThrownBy(() -> daemon.text(5, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MessageText("a b", "daemon")).isInstanceOf(IllegalArgumentException.class);
    }
}
