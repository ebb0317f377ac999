// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import java.util.Optional;
import org.svyaz.bench.server.ProcessSample;

/** The server's processes read from /proc and added up (the nodes of a cluster count as one server). */
public final class ServerSamples {
    private ServerSamples() {}

    /** Empty when there are no processes to read or any of them cannot be read. */
    public static Optional<ProcessSample> of(List<Long> pids) {
        if (pids.isEmpty()) {
            return Optional.empty();
        }
        long cpu = 0;
        long rss = 0;
        long peak = 0;
        for (long pid : pids) {
            Optional<ProcessSample> sample = ProcessSample.of(pid);
            if (sample.isEmpty()) {
                return Optional.empty();
            }
            cpu += sample.get().cpuNanos();
            rss += sample.get().rssBytes();
            peak += sample.get().peakRssBytes();
        }
        return Optional.of(new ProcessSample(cpu, rss, peak));
    }
}
