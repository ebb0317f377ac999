// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The kept events and what a Last-Event-ID gets back. */
class EventLogTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(5), ZoneOffset.UTC);
    private final EventLog log = new EventLog(CLOCK);

    @Test
    void idsCountUpFromTheStartTimeAndAfterGivesTheNewerOnes() {
        for (int i = 0; i < 3; i++) {
            log.append("receive", ReceiveHubTest.envelope("m" + i));
        }

        assertThat(log.after(5_000).events()).extracting(EventLog.Event::id).containsExactly(5_001L, 5_002L, 5_003L);
        assertThat(log.after(5_001).events()).extracting(EventLog.Event::id).containsExactly(5_002L, 5_003L);
        assertThat(log.after(5_003).events()).isEmpty();
        assertThat(log.after(5_001).events().getFirst().data()).isEqualTo("{\"body\":\"m1\"}");
    }

    @Test
    void anUnknownIdGetsEveryKeptEvent() {
        for (int i = 0; i < EventLog.KEPT + 10; i++) {
            log.append("receive", ReceiveHubTest.envelope("m" + i));
        }

        assertThat(log.after(5_003).events()).hasSize(EventLog.KEPT).first().extracting(EventLog.Event::id).isEqualTo(5_011L);
        assertThat(log.after(99_999_999).events()).hasSize(EventLog.KEPT);
        assertThat(log.after(Long.MIN_VALUE).events()).hasSize(EventLog.KEPT);
        assertThat(log.after(5_010).events()).hasSize(EventLog.KEPT);
        assertThat(log.after(5_011).events()).hasSize(EventLog.KEPT - 1);
    }

    @Test
    void theCursorIsTheNewestIdEvenAfterAnUnknownOne() {
        assertThat(log.after(Long.MIN_VALUE).cursor()).isEqualTo(5_000);
        assertThat(log.after(Long.MAX_VALUE).cursor()).isEqualTo(5_000);
        log.append("receive", ReceiveHubTest.envelope("m"));

        assertThat(log.after(99_999_999).cursor()).isEqualTo(5_001);
        assertThat(log.after(5_001).cursor()).isEqualTo(5_001);
    }

    @Test
    void waitingEndsWithAnEventATimeoutOrClose() throws Exception {
        assertThat(log.awaitAfter(log.lastId(), Duration.ofMillis(20))).isFalse();
        log.append("receive", ReceiveHubTest.envelope("m"));
        assertThat(log.awaitAfter(5_000, Duration.ofSeconds(5))).isTrue();
        log.close();
        assertThat(log.awaitAfter(log.lastId(), Duration.ofSeconds(5))).isFalse();
        assertThat(log.isClosed()).isTrue();
    }
}
