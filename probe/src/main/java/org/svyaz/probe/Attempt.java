// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * One way of reaching the server measured from the TCP connect on: the steps in order, and the
 * address that carried it (the first of the given addresses whose pinned handshake succeeded).
 *
 * @param tlsPassed the pinned handshake with the server succeeded, whatever happened after
 */
record Attempt(List<StepResult> steps, Optional<InetAddress> address, boolean tlsPassed) {
    /** Stands in for an attempt the probe could not finish in time. */
    static Attempt timedOut() {
        return new Attempt(List.of(StepResult.failed("probe", Failures.TIMEOUT, Probe.TOTAL.toMillis(),
                "the probe ran out of time")), Optional.empty(), false);
    }

    String verdict() {
        return Verdicts.of(steps);
    }

    boolean ok() {
        return verdict().equals(Verdicts.OK);
    }

    /** The step of this name, if the attempt got that far. */
    Optional<StepResult> step(String name) {
        return steps.stream().filter(s -> s.step().equals(name)).findFirst();
    }
}
