// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.List;
import java.util.Optional;

/**
 * What the probe found for one of the client's routes.
 *
 * @param route the route's key exactly as the client remembers it ({@code Route#key()}):
 *              {@code direct|no_sni|cover_sni|doh HOST:PORT} or {@code relay HOST:PORT}
 * @param kind the first word of the key
 * @param verdict {@code dns}, {@code tcp_ip}, {@code tls}, {@code http-failure}, {@code throttling} or {@code ok},
 *                named after the first step that failed
 * @param steps the route's own DNS step, then its connect, handshake, upgrade and transfer
 * @param advice a sentence for people
 */
public record RouteReport(String route, String kind, String verdict, List<StepResult> steps, String advice) {
    /** The first step that failed, if any. */
    public Optional<StepResult> firstFailure() {
        return Verdicts.firstFailure(steps);
    }

    public boolean works() {
        return verdict.equals(Verdicts.OK);
    }

    /**
     * Connects and carries data, only slowly or on flows that freeze after some kilobytes: messages
     * get through (the client moves to fresh flows before they freeze), files slowly or in pieces.
     */
    public boolean worksSlowly() {
        return firstFailure().flatMap(StepResult::failure)
                .filter(f -> f.equals(Failures.FLOW_FROZEN) || f.equals(Failures.TRANSFER_TOO_SLOW))
                .isPresent();
    }
}
