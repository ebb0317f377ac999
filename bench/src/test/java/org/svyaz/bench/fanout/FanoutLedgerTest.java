// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.svyaz.bench.fanout.FanoutLedger.Arrival;

class FanoutLedgerTest {
    /** Four members; member 0 sends messages 0 and 2, member 1 sends message 1. */
    private static FanoutLedger ledger() {
        return new FanoutLedger(4, new int[] {0, 1, 0});
    }

    @Test
    void everyMessageReachingEveryOtherMemberOnceBalances() {
        FanoutLedger ledger = ledger();
        for (int message = 0; message < 3; message++) {
            ledger.accepted(message);
        }
        for (int member : new int[] {1, 2, 3}) {
            ledger.received(member, 0);
            ledger.received(member, 2);
        }
        for (int member : new int[] {0, 2, 3}) {
            ledger.received(member, 1);
        }

        assertThat(ledger.summarize()).isEqualTo(new FanoutLedger.Summary(3, 3, 0, 0, 9, 9, 0, 0, 0, 0, 0, 3));
    }

    @Test
    void onlyTheCopyThatCompletesAMessageIsItsLast() {
        FanoutLedger ledger = ledger();
        ledger.accepted(0);

        assertThat(ledger.received(3, 0)).isEqualTo(Arrival.FIRST);
        assertThat(ledger.received(1, 0)).isEqualTo(Arrival.FIRST);
        assertThat(ledger.received(1, 0)).isEqualTo(Arrival.DUPLICATE);
        assertThat(ledger.received(2, 0)).isEqualTo(Arrival.LAST_COPY);
        assertThat(ledger.received(2, 0)).isEqualTo(Arrival.DUPLICATE);
    }

    @Test
    void missingCopiesOfAcceptedMessagesAreLostOnePerMemberNotOnePerMessage() {
        FanoutLedger ledger = ledger();
        ledger.accepted(0);
        ledger.accepted(1);
        ledger.received(1, 0); // message 0 misses members 2 and 3
        ledger.received(0, 1);
        ledger.received(2, 1);
        ledger.received(3, 1);

        FanoutLedger.Summary summary = ledger.summarize();
        assertThat(summary.expectedCopies()).isEqualTo(6);
        assertThat(summary.delivered()).isEqualTo(4);
        assertThat(summary.lost()).isEqualTo(2);
        assertThat(summary.complete()).isEqualTo(1);
        assertThat(summary.unanswered()).isEqualTo(1); // message 2 was never answered
    }

    @Test
    void duplicatesAreCountedPerCopyAndNeverAsDeliveries() {
        FanoutLedger ledger = ledger();
        ledger.accepted(1);
        for (int member : new int[] {0, 2, 3}) {
            ledger.received(member, 1);
        }
        ledger.received(2, 1);
        ledger.received(2, 1);
        ledger.received(0, 1);

        FanoutLedger.Summary summary = ledger.summarize();
        assertThat(summary.delivered()).isEqualTo(3);
        assertThat(summary.duplicates()).isEqualTo(3);
        assertThat(summary.lost()).isZero();
    }

    @Test
    void aCopyAtItsOwnSenderIsMisroutedAndAnUnknownMessageIsForeign() {
        FanoutLedger ledger = ledger();
        ledger.accepted(0);

        assertThat(ledger.received(0, 0)).isEqualTo(Arrival.MISROUTED);
        assertThat(ledger.received(2, 3)).isEqualTo(Arrival.FOREIGN);
        assertThat(ledger.received(2, -1)).isEqualTo(Arrival.FOREIGN);
        assertThat(ledger.foreign()).isEqualTo(Arrival.FOREIGN);

        FanoutLedger.Summary summary = ledger.summarize();
        assertThat(summary.misrouted()).isEqualTo(1);
        assertThat(summary.foreign()).isEqualTo(3);
        assertThat(summary.delivered()).isZero();
        assertThat(summary.lost()).isEqualTo(3);
    }

    @Test
    void copiesOfARefusedMessageAreDeliveredUnacknowledgedNotLost() {
        FanoutLedger ledger = ledger();
        ledger.rejected(0);
        ledger.received(1, 0);

        FanoutLedger.Summary summary = ledger.summarize();
        assertThat(summary.rejected()).isEqualTo(1);
        assertThat(summary.expectedCopies()).isZero();
        assertThat(summary.deliveredUnacknowledged()).isEqualTo(1);
        assertThat(summary.lost()).isZero();
    }

    @Test
    void answersAreCountedOncePerMessage() {
        FanoutLedger ledger = ledger();
        ledger.accepted(2);
        ledger.accepted(2);

        assertThat(ledger.answered()).isEqualTo(1);
        assertThat(ledger.expectedCopies()).isEqualTo(3);
    }

    @Test
    void membersAndMessagesOutsideTheRunAreRefused() {
        FanoutLedger ledger = ledger();

        assertThatThrownBy(() -> ledger.accepted(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ledger.received(4, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FanoutLedger(1, new int[] {0})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FanoutLedger(3, new int[] {3})).isInstanceOf(IllegalArgumentException.class);
    }
}
