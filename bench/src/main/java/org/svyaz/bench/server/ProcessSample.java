// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A process's CPU time and memory at one moment, from Linux's {@code /proc/PID/stat} (user and
 * system time, fields 14 and 15) and {@code /proc/PID/status} (VmRSS, VmHWM).
 *
 * @param cpuNanos user plus system CPU time since the process started
 * @param rssBytes resident set size now
 * @param peakRssBytes the largest resident set size so far
 */
public record ProcessSample(long cpuNanos, long rssBytes, long peakRssBytes) {
    /** Clock ticks per second of the stat fields; 100 on every Linux this runs on (USER_HZ). */
    private static final long TICKS_PER_SECOND = 100;

    /** Samples process {@code pid}; empty when /proc does not describe it (not Linux, or it has exited). */
    public static Optional<ProcessSample> of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"));
            // The command name (field 2) is in parentheses and may contain spaces: count from after it.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            long rss = 0;
            long peak = 0;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kibibytes(line);
                } else if (line.startsWith("VmHWM:")) {
                    peak = kibibytes(line);
                }
            }
            return Optional.of(new ProcessSample(ticks * (1_000_000_000L / TICKS_PER_SECOND), rss, peak));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * User plus system CPU time of this process's children that have exited and been waited for
     * (fields 16 and 17 of {@code /proc/self/stat}, which include their own waited-for children):
     * the only way left to read the CPU a short-lived process spent once it is gone. Empty when
     * /proc cannot be read.
     */
    public static OptionalLong reapedChildrenCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", "self", "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
            return OptionalLong.of(ticks * (1_000_000_000L / TICKS_PER_SECOND));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static long kibibytes(String line) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }
}
