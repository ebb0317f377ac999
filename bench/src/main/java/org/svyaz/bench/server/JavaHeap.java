// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live heap of a Java server process on this machine, read with the JDK's {@code jcmd}: a full
 * collection first ({@code GC.run}), then the heap's used bytes ({@code GC.heap_info}). What the
 * process's RSS alone cannot tell apart: memory that connections hold from garbage not yet
 * collected and heap the collector keeps committed.
 */
public final class JavaHeap {
    private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(60);
    /** G1, Parallel and Serial all print the whole heap's "used NNNK" on the first heap line. */
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private JavaHeap() {}

    /** Heap bytes in use after a full collection; empty when {@code pid} is not a JVM jcmd can reach. */
    public static Optional<Long> liveBytesAfterFullGc(long pid) {
        if (jcmd(pid, "GC.run").isEmpty()) {
            return Optional.empty();
        }
        return jcmd(pid, "GC.heap_info").flatMap(JavaHeap::usedBytes);
    }

    static Optional<Long> usedBytes(String heapInfo) {
        Matcher used = USED.matcher(heapInfo);
        return used.find() ? Optional.of(Long.parseLong(used.group(1)) * 1024) : Optional.empty();
    }

    private static Optional<String> jcmd(long pid, String command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return Optional.empty();
        }
        Path output = null;
        try {
            // Into a file, not a pipe: a jcmd that hangs must not block this thread past the timeout.
            output = Files.createTempFile("svyaz-jcmd-", ".txt");
            Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(JCMD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return process.exitValue() == 0 ? Optional.of(Files.readString(output, StandardCharsets.UTF_8))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            deleteQuietly(output);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // A leftover temporary file is harmless.
            }
        }
    }
}
