// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lab's DPI on its own: {@code sni-filter/try.sh} builds it and sends openssl's and hand-built
 * ClientHellos through it, in three network namespaces of the script's own, under each action and
 * rule set that {@code sni_filter.c} documents. Among them are the hellos a DPI must reassemble to
 * judge, each of which gets through a DPI that reads single packets: the name split over two TCP
 * segments, a hello larger than one segment, the name split over two TLS records, and the segment
 * with the name arriving before the one in front of it.
 */
class SniFilterIT {
    /** Checks of try.sh that only a reassembling DPI passes; each must be there and pass. */
    private static final List<String> REASSEMBLY_CHECKS = List.of(
            "drop: name split over two TCP segments",
            "drop: hello larger than one segment, name in the second",
            "drop: name split over two TLS records",
            "drop: second segment (with the name) before the first",
            "reset: hello larger than one segment, name in the second",
            "reset: name split over two TCP segments");

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyCheckOfTheDpisOwnScriptPasses() throws Exception {
        // Relative to the lab module, where the build runs its tests (as Censor finds sni_filter.c).
        CensorLab.Result run = CensorLab.run(Duration.ofMinutes(4), "bash", "sni-filter/try.sh");

        assertThat(run.exitCode()).as("try.sh's exit status; it said:%n%s%n%s", run.out(), run.err()).isZero();
        List<String> summary = run.out().lines().dropWhile(line -> !line.equals("== summary")).toList();
        for (String check : REASSEMBLY_CHECKS) {
            assertThat(summary).as("try.sh's summary").anySatisfy(line -> assertThat(line).startsWith("ok").contains(check));
        }
        assertThat(summary).as("try.sh's summary").last().isEqualTo("all checks passed");
    }
}
