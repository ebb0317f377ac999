// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Locale;

/** A report as a table for people or as one JSON object for scripts. */
public final class ReportFormat {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private ReportFormat() {}

    /** A {@link RelayReport} or {@link DrainReport} as one line of JSON. */
    public static String json(Record report) {
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report of numbers and strings always serializes", e);
        }
    }

    public static String table(RelayReport report) {
        StringBuilder out = new StringBuilder();
        DeliveryLedger.Summary ledger = report.ledger();
        RelayReport.Latency latency = report.latency();
        row(out, "scenario", "online relay (a)");
        row(out, "server", report.server());
        row(out, "users / messages / size / window", report.users() + " / " + report.messages() + " / "
                + report.size() + " B / " + report.window());
        row(out, "registration", f("%.1f s", report.registrationSeconds()));
        row(out, "login (until delivery is live)", f("%.1f s", report.connectSeconds()));
        row(out, "delivered msgs/s", f("%.0f", report.deliveredPerSecond()));
        row(out, "run (first send to last arrival)", f("%.2f s (sends answered after %.2f s)",
                report.runSeconds(), report.sendSeconds()));
        row(out, "latency p50 / p90 / p99 / p99.9", f("%.2f / %.2f / %.2f / %.2f ms", latency.p50(), latency.p90(),
                latency.p99(), latency.p999()));
        row(out, "latency max", f("%.2f ms", latency.max()));
        row(out, "planned / accepted / rejected", ledger.planned() + " / " + ledger.accepted() + " / "
                + ledger.rejected() + (report.rejections().isEmpty() ? "" : " " + report.rejections()));
        row(out, "unanswered", Long.toString(ledger.unanswered()));
        row(out, "delivered (distinct)", Long.toString(ledger.delivered()));
        row(out, "lost (accepted, never delivered)", Long.toString(ledger.lost()));
        row(out, "duplicates", Long.toString(ledger.duplicates()));
        row(out, "misrouted / foreign", ledger.misrouted() + " / " + ledger.foreign());
        RelayReport.ServerUsage usage = report.serverUsage();
        if (usage == null) {
            row(out, "server CPU / memory", "not measured");
        } else {
            row(out, "server CPU", f("%.2f s, %.1f µs per delivered message", usage.cpuSeconds(),
                    usage.cpuMicrosPerDelivered()));
            row(out, "server RSS before / with logins", mib(usage.rssBeforeConnections()) + " / "
                    + mib(usage.rssWithConnections()));
            row(out, "server RSS per connection", f("%.1f KiB", usage.rssPerConnection() / 1024.0));
            row(out, "server RSS after run / peak", mib(usage.rssAfterRun()) + " / " + mib(usage.peakRss()));
        }
        if (report.loadToolCpuSeconds() != null) {
            row(out, "load tool CPU during run", f("%.2f s", report.loadToolCpuSeconds()));
        }
        for (String note : report.notes()) {
            row(out, "note", note);
        }
        return out.toString();
    }

    public static String table(DrainReport report) {
        StringBuilder out = new StringBuilder();
        DeliveryLedger.Summary ledger = report.ledger();
        DrainOptions options = report.options();
        row(out, "scenario", "store-and-forward drain (b)");
        row(out, "server", report.server());
        row(out, "recipients / senders / messages", options.recipients() + " / " + options.senders() + " / "
                + options.messages());
        row(out, "size / window / parallel logins", options.size() + " B / " + options.window() + " / "
                + options.parallelLogins());
        row(out, "registration", f("%.1f s", report.registrationSeconds()));
        row(out, "store (recipients offline)", f("%.2f s, %.0f msgs/s", report.storeSeconds(),
                report.storedPerSecond()));
        row(out, "drained msgs/s", f("%.0f", report.drainedPerSecond()));
        row(out, "drain (login start → last arrival)", f("%.2f s (every login returned after %.2f s)",
                report.drainSeconds(), report.loginSeconds()));
        row(out, "planned / accepted / rejected", ledger.planned() + " / " + ledger.accepted() + " / "
                + ledger.rejected() + (report.rejections().isEmpty() ? "" : " " + report.rejections()));
        row(out, "delivered (distinct)", Long.toString(ledger.delivered()));
        row(out, "lost (accepted, never delivered)", Long.toString(ledger.lost()));
        row(out, "duplicates", Long.toString(ledger.duplicates()));
        row(out, "misrouted / foreign", ledger.misrouted() + " / " + ledger.foreign());
        row(out, "server CPU during drain", report.serverCpuSeconds() == null ? "not measured"
                : f("%.2f s, %.1f µs per delivered message", report.serverCpuSeconds(),
                report.serverCpuMicrosPerMessage()));
        for (String note : report.notes()) {
            row(out, "note", note);
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "%-34s %s%n", label, value));
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String mib(long bytes) {
        return f("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
