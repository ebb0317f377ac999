// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpgradeTurnTest {
    @Test
    void afterOneRouteUpgradedNoOtherMayAndAFailedUpgradeLetsTheNextTry() throws Exception {
        UpgradeTurn turn = new UpgradeTurn();

        assertThat(turn.acquire(Duration.ofSeconds(1))).isTrue();
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return turn.acquire(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(waiting).as("a second route waits while the first upgrades").isNotDone();
        turn.release(false); // the first route's upgrade failed
        assertThat(waiting.get(5, TimeUnit.SECONDS)).as("so the next one gets its turn").isTrue();

        turn.release(true); // this one upgraded
        assertThat(turn.acquire(Duration.ofSeconds(1))).as("nobody upgrades after a winner").isFalse();
    }
}
