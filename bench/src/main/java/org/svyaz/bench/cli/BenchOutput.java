// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.security.SecureRandom;
import org.svyaz.bench.relay.ReportFormat;
import picocli.CommandLine.Option;

/** The seed and the report format, shared by the {@code bench} scenarios. */
final class BenchOutput {
    @Option(names = "--seed", paramLabel = "N",
            description = "Seed for the run's random choices: recipients and message bytes (default: random).")
    Long seed;

    @Option(names = "--json", description = "Print the report as one JSON object instead of a table.")
    boolean json;

    long seed() {
        return seed != null ? seed : new SecureRandom().nextLong();
    }

    /** The report on {@code out}: one line of JSON with --json, else {@code table}. */
    void print(PrintWriter out, Record report, String table) {
        out.print(json ? ReportFormat.json(report) + System.lineSeparator() : table);
        out.flush();
    }
}
