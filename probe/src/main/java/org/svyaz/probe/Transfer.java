// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

/**
 * What the timed download measured.
 *
 * @param requestedBytes what was asked of the server
 * @param receivedBytes what arrived on the connection after the request, counted below TLS (so
 *                      slightly more than the data when it is complete)
 * @param millis from sending the request to the last byte, or to the end of the wait
 * @param complete all the requested data arrived
 * @param stalled nothing arrived for {@link Probe#STALL} although time was left
 */
public record Transfer(int requestedBytes, long receivedBytes, long millis, boolean complete, boolean stalled) {
    /** Kilobits per second over the whole transfer. */
    public long kilobitsPerSecond() {
        return receivedBytes * 8 / Math.max(1, millis);
    }

    String describe() {
        return (complete ? requestedBytes + " bytes" : receivedBytes + " bytes of " + requestedBytes) + " in " + millis
                + " ms (" + kilobitsPerSecond() + " kbit/s)";
    }
}
