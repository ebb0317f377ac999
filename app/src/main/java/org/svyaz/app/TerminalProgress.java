// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.util.Locale;
import org.svyaz.client.api.TransferProgress;

/**
 * Shows attachment transfers of a megabyte or more on stderr: one line per tenth on a pipe, a line
 * rewritten in place on a terminal. Smaller files move too fast to be worth a line.
 */
final class TerminalProgress implements TransferProgress {
    private static final long SHOWN_FROM_BYTES = 1024 * 1024;

    private final PrintWriter err;
    private final boolean terminal;
    private String current = "";
    private int lastTenth = -1;

    TerminalProgress(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public synchronized void update(String fileName, boolean upload, long done, long total) {
        if (total < SHOWN_FROM_BYTES) {
            return;
        }
        String key = (upload ? "up " : "down ") + fileName;
        if (!key.equals(current)) {
            current = key;
            lastTenth = -1;
        }
        int tenth = (int) Math.min(10, done * 10 / total);
        if (tenth == lastTenth) {
            return;
        }
        lastTenth = tenth;
        String line = String.format(Locale.ROOT, "%s %s: %d%% (%.1f of %.1f MB)", upload ? "Uploading" : "Downloading",
                fileName, tenth * 10, done / 1e6, total / 1e6);
        if (terminal) {
            err.print("\r" + line + (tenth == 10 ? "\n" : ""));
        } else {
            err.println(line);
        }
        err.flush();
    }
}
