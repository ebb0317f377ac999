// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.svyaz.bench.relay.DeliveryLedger.Arrival;

class DeliveryLedgerTest {
    private static Optional<Payload> message(int sender, int recipient, int sequence) {
        return Optional.of(new Payload(sender, recipient, sequence, 0));
    }

    @Test
    void everyMessageAcceptedAndDeliveredOnceBalances() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {3, 2});
        for (int seq = 0; seq < 3; seq++) {
            ledger.accepted(0, seq);
            assertThat(ledger.received(1, message(0, 1, seq))).isEqualTo(Arrival.FIRST);
        }
        for (int seq = 0; seq < 2; seq++) {
            ledger.accepted(1, seq);
            assertThat(ledger.received(0, message(1, 0, seq))).isEqualTo(Arrival.FIRST);
        }

        assertThat(ledger.summarize()).isEqualTo(new DeliveryLedger.Summary(5, 5, 0, 0, 5, 0, 0, 0, 0, 0));
    }

    @Test
    void aSequenceNumberArrivingTwiceIsOneDeliveryAndOneDuplicate() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {4, 0});
        for (int seq = 0; seq < 4; seq++) {
            ledger.accepted(0, seq);
            ledger.received(1, message(0, 1, seq));
        }
        assertThat(ledger.received(1, message(0, 1, 2))).isEqualTo(Arrival.DUPLICATE);
        assertThat(ledger.received(1, message(0, 1, 2))).isEqualTo(Arrival.DUPLICATE);
        assertThat(ledger.received(1, message(0, 1, 0))).isEqualTo(Arrival.DUPLICATE);

        DeliveryLedger.Summary summary = ledger.summarize();
        assertThat(summary.delivered()).isEqualTo(4);
        assertThat(summary.duplicates()).isEqualTo(3);
        assertThat(summary.lost()).isZero();
    }

    @Test
    void aRepeatRecognisedOnlyByDecryptionIsADuplicateNotADelivery() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {2, 0});
        ledger.accepted(0, 0);
        ledger.received(1, message(0, 1, 0));

        assertThat(ledger.receivedAgain()).isEqualTo(Arrival.DUPLICATE);

        assertThat(ledger.summarize()).isEqualTo(new DeliveryLedger.Summary(2, 1, 0, 1, 1, 1, 0, 0, 0, 0));
    }

    @Test
    void acceptedButMissingSequenceNumbersAreLost() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {10, 0});
        for (int seq = 0; seq < 10; seq++) {
            ledger.accepted(0, seq);
        }
        for (int seq : new int[] {0, 1, 2, 4, 5, 7, 9}) { // 3, 6 and 8 never arrive
            ledger.received(1, message(0, 1, seq));
        }

        DeliveryLedger.Summary summary = ledger.summarize();
        assertThat(summary.lost()).isEqualTo(3);
        assertThat(summary.delivered()).isEqualTo(7);
        assertThat(summary.duplicates()).isZero();
    }

    @Test
    void rejectedMessagesAreNotLostAndUnansweredOnesAreCountedApart() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {5, 0});
        ledger.accepted(0, 0);
        ledger.received(1, message(0, 1, 0));
        ledger.rejected(0, 1);
        ledger.rejected(0, 2);
        ledger.rejected(0, 2); // the same refusal reported twice counts once
        // 3 and 4: no answer at all.

        DeliveryLedger.Summary summary = ledger.summarize();
        assertThat(summary.accepted()).isEqualTo(1);
        assertThat(summary.rejected()).isEqualTo(2);
        assertThat(summary.unanswered()).isEqualTo(2);
        assertThat(summary.lost()).isZero();
        assertThat(ledger.answered()).isEqualTo(3);
    }

    @Test
    void aDeliveryWhoseAnswerNeverCameIsDeliveredNotLost() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {1, 0});
        ledger.received(1, message(0, 1, 0));

        DeliveryLedger.Summary summary = ledger.summarize();
        assertThat(summary.delivered()).isEqualTo(1);
        assertThat(summary.deliveredUnacknowledged()).isEqualTo(1);
        assertThat(summary.unanswered()).isEqualTo(1);
        assertThat(summary.lost()).isZero();
    }

    @Test
    void wrongRecipientUnknownSenderAndUnreadableBlobsAreNotDeliveries() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {2, 2});
        ledger.accepted(0, 0);

        assertThat(ledger.received(0, message(0, 1, 0))).isEqualTo(Arrival.MISROUTED); // addressed to user 1
        assertThat(ledger.received(1, message(7, 1, 0))).isEqualTo(Arrival.FOREIGN);   // no user 7
        assertThat(ledger.received(1, message(0, 1, 2))).isEqualTo(Arrival.FOREIGN);   // user 0 sends only 0 and 1
        assertThat(ledger.received(1, Optional.empty())).isEqualTo(Arrival.FOREIGN);

        DeliveryLedger.Summary summary = ledger.summarize();
        assertThat(summary.misrouted()).isEqualTo(1);
        assertThat(summary.foreign()).isEqualTo(3);
        assertThat(summary.delivered()).isZero();
        assertThat(summary.lost()).isEqualTo(1);
    }

    @Test
    void answersForMessagesOutsideTheRunAreAProgrammingError() {
        DeliveryLedger ledger = new DeliveryLedger(new int[] {1});
        assertThatThrownBy(() -> ledger.accepted(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ledger.rejected(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
