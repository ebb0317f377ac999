// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.time.Duration;

/** Counts requests being handled, so shutdown can wait until they have been answered. */
public final class InFlightRequests {
    private int count;

    public synchronized void begin() {
        count++;
    }

    public synchronized void end() {
        count--;
        if (count == 0) {
            notifyAll();
        }
    }

    /** Waits until no request is in flight or the timeout passes; returns whether it drained. */
    public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
