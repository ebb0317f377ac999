// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.svyaz.bench.relay.DeliveryLedger;

class PathBooksTest {
    private static final long MS = 1_000_000;

    private final PathBooks books = new PathBooks(new MessageText("0000beef", "daemon"), 128, 4);
    private final PathBooks otherPath = new PathBooks(new MessageText("0000beef", "cli"), 128, 1);

    @Test
    void everyMessageLandsInOneColumnAndIsTimedFromItsOwnSend() {
        // nanoTime may be negative: the books must not care.
        long t0 = -5_000 * MS;
        for (int seq = 0; seq < 4; seq++) {
            books.sent(seq, t0 + seq * MS);
        }
        books.accepted(0, t0 + 2 * MS);
        books.accepted(1, t0 + 5 * MS);
        books.refused(2, t0 + 6 * MS, "error -3");
        // 3 is never answered.
        assertThat(books.arrived(books.text(0), t0 + 10 * MS)).isTrue();
        assertThat(books.arrived(books.text(1), t0 + 11 * MS)).isTrue();
        assertThat(books.arrived(books.text(1), t0 + 12 * MS)).as("a duplicate is still this path's").isTrue();
        assertThat(books.arrived(otherPath.text(0), t0 + 13 * MS)).isFalse();
        books.foreign();

        PathBooks.Tally tally = books.tally();
        assertThat(tally.ledger()).isEqualTo(new DeliveryLedger.Summary(4, 2, 1, 1, 2, 1, 0, 0, 0, 1));
        assertThat(tally.failures()).isEqualTo(Map.of("error -3", 1L));
        assertThat(tally.sendLatency().count()).isEqualTo(2);
        // HdrHistogram keeps three significant digits: 4 ms reads back as up to 4.01 ms.
        assertThat(tally.sendLatency().max()).isCloseTo(4.0, within(0.01));
        assertThat(tally.notificationLatency().count()).as("first arrivals only").isEqualTo(2);
        assertThat(tally.notificationLatency().p50()).isCloseTo(10.0, within(0.01));
        assertThat(tally.notificationLatency().max()).isCloseTo(10.0, within(0.01));
        assertThat(tally.sendSeconds()).isEqualTo(0.006);
        assertThat(tally.arrivalSeconds()).isEqualTo(0.012);
        assertThat(books.allAcceptedArrived()).isTrue();
    }

    @Test
    void anAcceptedMessageThatNeverArrivesIsLost() {
        books.sent(0, 0);
        books.accepted(0, MS);

        assertThat(books.allAcceptedArrived()).isFalse();
        assertThat(books.tally().ledger().lost()).isEqualTo(1);
        assertThat(books.tally().notificationLatency().count()).isZero();
    }

    @Test
    void nothingSentIsZeroSecondsNotNonsense() {
        PathBooks.Tally tally = otherPath.tally();

        assertThat(tally.sendSeconds()).isZero();
        assertThat(tally.arrivalSeconds()).isZero();
        assertThat(tally.sendLatency().count()).isZero();
    }
}
