// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.Optional;

/**
 * One measured step.
 *
 * @param failure an OONI failure string (df-007: {@code dns_nxdomain_error}, {@code connection_refused},
 *                {@code connection_reset}, {@code generic_timeout_error}, {@code host_unreachable},
 *                {@code ssl_unknown_authority}, {@code ssl_failed_handshake}, ...), empty on success
 * @param detail a sentence for people
 */
public record StepResult(String step, boolean ok, Optional<String> failure, long millis, String detail) {
    static StepResult ok(String step, long millis, String detail) {
        return new StepResult(step, true, Optional.empty(), millis, detail);
    }

    static StepResult failed(String step, String failure, long millis, String detail) {
        return new StepResult(step, false, Optional.of(failure), millis, detail);
    }

    static StepResult skipped(String step) {
        return new StepResult(step, false, Optional.empty(), 0, "not tried: an earlier step failed");
    }
}
