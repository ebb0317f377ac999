// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/**
 * What one connection may cost the daemon.
 *
 * @param maxFrameBytes longest request line, and largest HTTP body. A send with text and a few inline
 *     attachment paths is a few kilobytes; 1 MiB leaves room for big batches while bounding memory per
 *     connection.
 * @param maxInFlight calls of one connection running at once. When reached, the daemon stops reading
 *     that connection until a call finishes, so TCP flow control slows the client down.
 * @param maxQueuedFrames replies and notifications waiting to be written to one connection. A client
 *     that falls this far behind is disconnected, so one stuck reader never holds the rest back.
 */
public record PeerLimits(int maxFrameBytes, int maxInFlight, int maxQueuedFrames) {
    public static final PeerLimits DEFAULT = new PeerLimits(1 << 20, 4_096, 10_000);

    public PeerLimits {
        if (maxFrameBytes < 1 || maxInFlight < 1 || maxQueuedFrames < 1) {
            throw new IllegalArgumentException("peer limits must be positive");
        }
    }
}
