// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;

/**
 * One step of setting up a one-to-one call between two browsers, as it travels end-to-end
 * encrypted between the two accounts. Every step names the call by the id its caller chose. The
 * session descriptions hold the DTLS fingerprints the browsers check each other against, so the
 * server, which only relays ciphertext, cannot step into the media.
 */
public sealed interface CallStep {
    /** At most this many candidates travel in one message. */
    int MAX_CANDIDATES = 32;
    /** A session description or candidate longer than this is refused (a real one is a few KiB). */
    int MAX_SDP_CHARS = 64 * 1024;

    long callId();

    /** The caller asks the callee to take the call; {@code sdp} is the caller's WebRTC offer. */
    record Offer(long callId, String sdp, boolean video) implements CallStep {
        public Offer {
            checkSdp(sdp, "offer");
        }
    }

    /** The callee took the call; {@code sdp} is its WebRTC answer. */
    record Answer(long callId, String sdp) implements CallStep {
        public Answer {
            checkSdp(sdp, "answer");
        }
    }

    /** Network addresses where the sender may be reached for this call (trickled ICE). */
    record Candidates(long callId, List<Candidate> candidates) implements CallStep {
        public Candidates {
            if (candidates.isEmpty() || candidates.size() > MAX_CANDIDATES) {
                throw new IllegalArgumentException("a call message carries 1 to " + MAX_CANDIDATES
                        + " candidates, not " + candidates.size());
            }
            candidates = List.copyOf(candidates);
        }
    }

    /** One ICE candidate: its SDP attribute and the media section ({@code mid}) it belongs to. */
    record Candidate(String sdp, String mid) {
        public Candidate {
            checkSdp(sdp, "candidate");
            if (mid.length() > 64) {
                throw new IllegalArgumentException("a candidate's media id is longer than 64 characters");
            }
        }
    }

    /** The call ended, or was declined, by the sender. */
    record Hangup(long callId, HangupType type) implements CallStep {}

    /** The callee is in another call. */
    record Busy(long callId) implements CallStep {}

    enum HangupType { NORMAL, ACCEPTED, DECLINED, BUSY }

    private static void checkSdp(String sdp, String what) {
        if (sdp.isEmpty() || sdp.length() > MAX_SDP_CHARS) {
            throw new IllegalArgumentException("a call's " + what + " must have 1 to " + MAX_SDP_CHARS
                    + " characters, not " + sdp.length());
        }
    }
}
