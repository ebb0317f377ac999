// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;
import java.util.UUID;

/**
 * One call in the call log, as this device saw its set-up messages go and come.
 *
 * @param peerUsername the contact's username, when it is known here
 * @param answeredAt when the callee took the call (millis since the epoch)
 * @param endedAt when either side hung up, declined or was busy
 */
public record CallRecord(long callId, UUID peer, Optional<String> peerUsername, boolean outgoing, boolean video,
                         long startedAt, Optional<Long> answeredAt, Optional<Long> endedAt, Outcome outcome) {

    public enum Outcome {
        /** Still ringing (or being set up) now. */
        RINGING,
        /** The callee took it; it may still be going on (no {@code endedAt} yet). */
        ANSWERED,
        /** A call to this user that was not taken: no answer, cancelled by the caller, or rang while busy. */
        MISSED,
        /** The callee turned it down. */
        DECLINED,
        /** A call this user made that the callee did not take. */
        NOT_ANSWERED,
        /** A call this user made while the callee was in another call. */
        BUSY
    }
}
