// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The senders' schedule, read from the send times they write into the payloads. */
class SendersTest {
    private static final int SIZE = 64;

    @Test
    void openLoopMessagesAreDueOneIntervalApartAndTheUsersAreStaggered() throws Exception {
        long interval = 20_000_000; // 50 msgs/s per user
        int users = 4;
        int perUser = 5;
        Map<Integer, List<Payload>> sent = send(users, perUser, interval);

        for (int user = 0; user < users; user++) {
            List<Payload> own = sent.get(user);
            assertThat(own).extracting(Payload::sequence).containsExactly(0, 1, 2, 3, 4);
            for (int i = 1; i < own.size(); i++) {
                // Due times come from the schedule, not from when the send happened to run.
                assertThat(own.get(i).sentNanos() - own.get(i - 1).sentNanos()).isEqualTo(interval);
            }
        }
        // User i starts i/4 of an interval after user 0: together, one message every interval/4.
        long first = sent.get(0).getFirst().sentNanos();
        for (int user = 1; user < users; user++) {
            assertThat(sent.get(user).getFirst().sentNanos() - first).isEqualTo(interval * user / users);
        }
    }

    @Test
    void closedLoopMessagesCarryWhenTheyWereSent() throws Exception {
        long before = System.nanoTime();
        Map<Integer, List<Payload>> sent = send(2, 3, 0);
        long after = System.nanoTime();

        assertThat(sent.values()).allSatisfy(own -> assertThat(own).hasSize(3)
                .allSatisfy(payload -> assertThat(payload.sentNanos()).isBetween(before, after)));
    }

    @Test
    void theRateIsSpreadOverTheUsers() {
        assertThat(new RelayOptions(100, 1000, 64, 1, java.time.Duration.ofSeconds(1), 0, 5_000).sendIntervalNanos())
                .as("5,000 msgs/s over 100 users: each every 20 ms").isEqualTo(20_000_000);
        assertThat(new RelayOptions(100, 1000, 64, 1, java.time.Duration.ofSeconds(1), 0).sendIntervalNanos()).isZero();
    }

    /** Sends through sessions that answer at once and keep what they were given, by sender. */
    private static Map<Integer, List<Payload>> send(int users, int perUser, long intervalNanos) throws Exception {
        int[] quotas = new int[users];
        java.util.Arrays.fill(quotas, perUser);
        DeliveryLedger ledger = new DeliveryLedger(quotas);
        Map<Integer, List<Payload>> sent = new ConcurrentHashMap<>();
        List<UserSession> sessions = new ArrayList<>();
        for (int user = 0; user < users; user++) {
            List<Payload> own = new CopyOnWriteArrayList<>();
            sent.put(user, own);
            sessions.add(new UserSession() {
                @Override
                public CompletableFuture<Void> send(int recipient, byte[] blob) {
                    own.add(Payload.decode(blob).orElseThrow());
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void close() {}
            });
        }
        int gaveUp = new Senders(ledger, SIZE, 2, 7, intervalNanos).sendAll(sessions, 0, quotas,
                (sender, random) -> (sender + 1) % users);
        assertThat(gaveUp).isZero();
        assertThat(ledger.answered()).isEqualTo((long) users * perUser);
        return sent;
    }
}
