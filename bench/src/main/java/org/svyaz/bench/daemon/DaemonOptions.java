// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One run of the daemon benchmark, validated here once.
 *
 * @param messages sends through the one daemon connection
 * @param window sends unanswered on that connection at most; the daemon runs up to 4,096 calls of
 *               one connection at once and stops reading it beyond that
 * @param cliSends sends by a {@code svyaz send} process each, one after the other; 0 skips that path
 * @param size characters (ASCII, so bytes) per message text
 * @param drainTimeout after a path's last answer, how long to wait for its notifications before
 *                     counting the rest lost
 * @param launcher the {@code svyaz} command that registers, runs the daemons and sends
 */
public record DaemonOptions(int messages, int window, int cliSends, int size, Duration drainTimeout, Path launcher) {
    /** The daemon's limit on one connection's running calls (app's PeerLimits.DEFAULT). */
    static final int MAX_WINDOW = 4_096;
    /** A text this long still fits one command-line argument (Linux takes 128 KiB) with room to spare. */
    static final int MAX_SIZE = 32 * 1024;

    public DaemonOptions {
        if (messages < 1) {
            throw new IllegalArgumentException("--messages must be at least 1");
        }
        if (window < 1 || window > MAX_WINDOW) {
            throw new IllegalArgumentException("--window must be between 1 and " + MAX_WINDOW
                    + " (the daemon's limit of running calls per connection)");
        }
        if (cliSends < 0) {
            throw new IllegalArgumentException("--cli-sends must be 0 or more");
        }
        if (size < MessageText.MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("--size must be between " + MessageText.MIN_SIZE + " (the benchmark's "
                    + "marker and sequence number) and " + MAX_SIZE + " bytes");
        }
        if (drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("the drain timeout must be positive");
        }
        if (!Files.isExecutable(launcher)) {
            throw new IllegalArgumentException("--svyaz must name the svyaz launcher, and " + launcher
                    + " is not an executable file");
        }
    }
}
