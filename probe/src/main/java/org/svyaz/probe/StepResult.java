// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.Optional;

/**
 * One measured step.
 *
 * @param failure an OONI failure string (df-007: {@code dns_nxdomain_error}, {@code connection_refused},
 *                {@code connection_reset}, {@code generic_timeout_error}, {@code host_unreachable},
 *                {@code ssl_unknown_authority}, {@code ssl_failed_handshake}, ...) or one of Svyaz's own
 *                listed in {@link Failures}; empty on success and for a step not tried
 * @param detail a sentence for people
 * @param transfer the numbers of the timed transfer, for that step only
 */
public record StepResult(String step, boolean ok, Optional<String> failure, long millis, String detail,
                         Optional<Transfer> transfer) {
    static StepResult ok(String step, long millis, String detail) {
        return new StepResult(step, true, Optional.empty(), millis, detail, Optional.empty());
    }

    static StepResult failed(String step, String failure, long millis, String detail) {
        return new StepResult(step, false, Optional.of(failure), millis, detail, Optional.empty());
    }

    static StepResult skipped(String step) {
        return skipped(step, "not tried: an earlier step failed");
    }

    static StepResult skipped(String step, String why) {
        return new StepResult(step, false, Optional.empty(), 0, why, Optional.empty());
    }

    StepResult withTransfer(Transfer measured) {
        return new StepResult(step, ok, failure, millis, detail, Optional.of(measured));
    }

    StepResult withFailure(String newFailure, String newDetail) {
        return new StepResult(step, false, Optional.of(newFailure), millis, newDetail, transfer);
    }
}
