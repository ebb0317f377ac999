// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.svyaz.bench.daemon.DaemonReport;
import org.svyaz.bench.fanout.FanoutLedger;
import org.svyaz.bench.fanout.FanoutReport;

/** A report as a table for people or as one JSON object for scripts. */
public final class ReportFormat {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private ReportFormat() {}

    /** A {@link RelayReport}, {@link DrainReport}, {@link FanoutReport} or any other report as one line of JSON. */
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
        row(out, "payload", report.payload());
        row(out, "users / messages / size / window", report.users() + " / " + report.messages() + " / "
                + report.size() + " B / " + report.window());
        row(out, "offered load", report.rate() == 0 ? "as fast as the window allows (closed loop)"
                : f("%.0f msgs/s on a fixed schedule (open loop; latency from when each message was due)",
                        report.rate()));
        row(out, "registration", f("%.1f s", report.registrationSeconds()));
        row(out, "login (until delivery is live)", f("%.1f s", report.connectSeconds()));
        row(out, "delivered msgs/s", f("%.0f", report.deliveredPerSecond()));
        row(out, "run (first send to last arrival)", f("%.2f s (sends answered after %.2f s)",
                report.runSeconds(), report.sendSeconds()));
        row(out, "latency p50 / p90 / p99 / p99.9", f("%.2f / %.2f / %.2f / %.2f ms", latency.p50(), latency.p90(),
                latency.p99(), latency.p999()));
        row(out, "latency max", f("%.2f ms", latency.max()));
        ledgerRows(out, ledger, report.rejections());
        if (!report.payload().equals(MessagingSystem.OPAQUE_PAYLOAD)) {
            row(out, "failed to decrypt (in foreign)", Long.toString(report.undecryptable()));
        }
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
        noteRows(out, report.notes());
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
        ledgerRows(out, ledger, report.rejections());
        row(out, "server CPU during drain", report.serverCpuSeconds() == null ? "not measured"
                : f("%.2f s, %.1f µs per delivered message", report.serverCpuSeconds(),
                report.serverCpuMicrosPerMessage()));
        noteRows(out, report.notes());
        return out.toString();
    }

    public static String table(IdleReport report) {
        StringBuilder out = new StringBuilder();
        IdleOptions options = report.options();
        row(out, "scenario", "idle connections (c)");
        row(out, "server", report.server());
        row(out, "connections asked / held", options.connections() + " / " + report.held());
        row(out, "parallel logins / idle hold", options.parallelLogins() + " / " + options.holdSeconds() + " s");
        row(out, "registration", f("%.1f s", report.registrationSeconds()));
        row(out, "logins", f("%.1f s", report.loginSeconds())
                + (report.serverCpuMicrosPerLogin() == null ? ""
                : f(", server CPU %.0f µs per login", report.serverCpuMicrosPerLogin())));
        if (report.loginFailure() != null) {
            row(out, "logging in stopped", report.loginFailure());
        }
        if (report.serverRssBefore() == null || report.serverRssWith() == null) {
            row(out, "server memory", "not measured");
        } else {
            row(out, "server RSS before / holding", mib(report.serverRssBefore()) + " / "
                    + mib(report.serverRssWith()));
            row(out, "server RSS per connection", kib(report.serverRssPerConnection()));
        }
        row(out, "server live heap per connection", kib(report.serverHeapPerConnection()));
        row(out, "load tool RSS per connection", kib(report.loadToolRssPerConnection()));
        noteRows(out, report.notes());
        return out.toString();
    }

    public static String table(StormReport report) {
        StringBuilder out = new StringBuilder();
        DeliveryLedger.Summary ledger = report.ledger();
        StormOptions options = report.options();
        row(out, "scenario", "reconnect storm after a cut (d)");
        row(out, "server", report.server());
        row(out, "devices / senders / messages", options.devices() + " / " + options.senders() + " / "
                + options.messages());
        row(out, "size / window / parallel logins", options.size() + " B / " + options.window() + " / "
                + (options.parallelLogins() >= options.devices() ? "all at once" : options.parallelLogins()));
        row(out, "registration", f("%.1f s", report.registrationSeconds()));
        row(out, "sent while cut off", f("%.2f s", report.storeSeconds()));
        row(out, "devices back / gave up", report.reconnected() + " / " + report.gaveUp());
        row(out, "retried logins", Long.toString(report.retries()));
        row(out, "all devices back after", f("%.2f s", report.authenticatedSeconds()));
        row(out, "everything arrived after", report.drainedSeconds() == null ? "never (see lost)"
                : f("%.2f s", report.drainedSeconds()));
        ledgerRows(out, ledger, report.rejections());
        row(out, "server CPU during the storm", report.serverCpuSeconds() == null ? "not measured"
                : f("%.2f s, %.0f µs per device back", report.serverCpuSeconds(), report.serverCpuMicrosPerLogin()));
        noteRows(out, report.notes());
        return out.toString();
    }

    public static String table(FanoutReport report) {
        StringBuilder out = new StringBuilder();
        FanoutLedger.Summary ledger = report.ledger();
        FanoutReport.Encryption encryption = report.encryption();
        row(out, "scenario", "fan-out to a group (e)");
        row(out, "server", report.server());
        row(out, "members / senders / messages", report.members() + " / " + report.senders() + " / "
                + report.messages());
        row(out, "size / window", report.size() + " B plaintext, " + encryption.payloadBytes()
                + " B sealed payload / " + report.window());
        row(out, "registration / group setup", f("%.1f s / %.1f s", report.registrationSeconds(),
                report.setupSeconds()));
        row(out, "sender encryption per message", f("%.2f / %.2f / %.2f ms (p50 / p99 / max), %d devices each, "
                + "%.2f s in all, before sending", encryption.p50Millis(), encryption.p99Millis(),
                encryption.maxMillis(), encryption.recipientDevices(), encryption.seconds()));
        row(out, "login (until delivery is live)", f("%.1f s", report.connectSeconds()));
        row(out, "delivered copies/s", f("%.0f", report.deliveriesPerSecond()));
        row(out, "run (first send to last arrival)", f("%.2f s (sends answered after %.2f s)",
                report.runSeconds(), report.sendSeconds()));
        RelayReport.Latency completion = report.completionLatency();
        row(out, "send → last member p50 / p99", f("%.2f / %.2f ms (max %.2f, %d messages)", completion.p50(),
                completion.p99(), completion.max(), completion.count()));
        RelayReport.Latency copy = report.copyLatency();
        row(out, "send → each copy p50 / p99", f("%.2f / %.2f ms (max %.2f)", copy.p50(), copy.p99(), copy.max()));
        row(out, "msgs planned / accepted / rejected", ledger.planned() + " / " + ledger.accepted() + " / "
                + ledger.rejected() + (report.rejections().isEmpty() ? "" : " " + report.rejections()));
        row(out, "msgs unanswered / complete", ledger.unanswered() + " / " + ledger.complete());
        row(out, "copies owed / delivered (distinct)", ledger.expectedCopies() + " / " + ledger.delivered());
        row(out, "copies lost (accepted, never came)", Long.toString(ledger.lost()));
        row(out, "copies duplicated", Long.toString(ledger.duplicates()));
        row(out, "copies misrouted / foreign", ledger.misrouted() + " / " + ledger.foreign());
        FanoutReport.ServerUsage usage = report.serverUsage();
        if (usage == null) {
            row(out, "server CPU / memory", "not measured");
        } else {
            row(out, "server CPU", f("%.2f s, %.1f µs per delivered copy, %.2f ms per message", usage.cpuSeconds(),
                    usage.cpuMicrosPerCopy(), usage.cpuMillisPerMessage()));
            row(out, "server RSS with logins / after", mib(usage.rssWithConnections()) + " / "
                    + mib(usage.rssAfterRun()) + " (peak " + mib(usage.peakRss()) + ")");
        }
        if (report.loadToolCpuSeconds() != null) {
            row(out, "load tool CPU during run", f("%.2f s", report.loadToolCpuSeconds()));
        }
        FanoutReport.Verification verification = report.verification();
        row(out, "copies opened with members' keys", f("%d of %d opened as sent, %d failed (%.1f s, after the run)",
                verification.opened(), verification.copies(), verification.failed(), verification.seconds()));
        noteRows(out, report.notes());
        return out.toString();
    }

    /** The two paths side by side: the daemon connection, then a CLI process per send. */
    public static String table(DaemonReport report) {
        StringBuilder out = new StringBuilder();
        DaemonReport.PathResult daemon = report.daemon();
        DaemonReport.PathResult cli = report.cli();
        row(out, "scenario", "send through one daemon connection against a CLI process per send");
        row(out, "server", report.server());
        row(out, "messages / window / size", report.messages() + " through the daemon, window " + report.window()
                + "; " + report.cliSends() + " by CLI processes; " + report.size() + " B each");
        row(out, "set-up", f("%.1f s (two registrations, two daemons)", report.setupSeconds()));
        pair(out, "", "daemon connection", "CLI process per send", cli);
        pair(out, "sends/s", f("%.1f", daemon.sendsPerSecond()), cli == null ? "" : f("%.2f", cli.sendsPerSecond()), cli);
        pair(out, "send p50 / p99 / max (ms)", latencies(daemon.sendLatency()),
                cli == null ? "" : latencies(cli.sendLatency()), cli);
        pair(out, "notification p50 / p99 / max (ms)", latencies(daemon.notificationLatency()),
                cli == null ? "" : latencies(cli.notificationLatency()), cli);
        pair(out, "planned / accepted / rejected", counts(daemon), cli == null ? "" : counts(cli), cli);
        pair(out, "unanswered / delivered", delivery(daemon), cli == null ? "" : delivery(cli), cli);
        pair(out, "lost / duplicates / foreign", losses(daemon), cli == null ? "" : losses(cli), cli);
        pair(out, "CPU ms/send sender/server/bob", cpu(daemon.cpu()), cli == null ? "" : cpu(cli.cpu()), cli);
        if (!daemon.failures().isEmpty() || (cli != null && !cli.failures().isEmpty())) {
            pair(out, "failures", daemon.failures().toString(), cli == null ? "" : cli.failures().toString(), cli);
        }
        if (report.sendsPerSecondRatio() != null) {
            row(out, "daemon sends/s ÷ CLI sends/s", f("%.0f×", report.sendsPerSecondRatio()));
        }
        noteRows(out, report.notes());
        return out.toString();
    }

    private static void pair(StringBuilder out, String label, String daemon, String cli, Object cliPath) {
        row(out, label, cliPath == null ? daemon : String.format(Locale.ROOT, "%-26s %s", daemon, cli));
    }

    private static String latencies(RelayReport.Latency latency) {
        return f("%.1f / %.1f / %.1f", latency.p50(), latency.p99(), latency.max());
    }

    private static String counts(DaemonReport.PathResult path) {
        DeliveryLedger.Summary ledger = path.ledger();
        return ledger.planned() + " / " + ledger.accepted() + " / " + ledger.rejected();
    }

    private static String delivery(DaemonReport.PathResult path) {
        return path.ledger().unanswered() + " / " + path.ledger().delivered();
    }

    private static String losses(DaemonReport.PathResult path) {
        DeliveryLedger.Summary ledger = path.ledger();
        return ledger.lost() + " / " + ledger.duplicates() + " / " + ledger.foreign();
    }

    private static String cpu(DaemonReport.Cpu cpu) {
        return millis(cpu.sender()) + " / " + millis(cpu.server()) + " / " + millis(cpu.receiver());
    }

    private static String millis(Double value) {
        return value == null ? "-" : f("%.2f", value);
    }

    /** What the ledger counted, the same in every scenario that counts messages. */
    private static void ledgerRows(StringBuilder out, DeliveryLedger.Summary ledger, Map<String, Long> rejections) {
        row(out, "planned / accepted / rejected", ledger.planned() + " / " + ledger.accepted() + " / "
                + ledger.rejected() + (rejections.isEmpty() ? "" : " " + rejections));
        row(out, "unanswered", Long.toString(ledger.unanswered()));
        row(out, "delivered (distinct)", Long.toString(ledger.delivered()));
        row(out, "lost (accepted, never delivered)", Long.toString(ledger.lost()));
        row(out, "duplicates", Long.toString(ledger.duplicates()));
        row(out, "misrouted / foreign", ledger.misrouted() + " / " + ledger.foreign());
    }

    private static void noteRows(StringBuilder out, List<String> notes) {
        for (String note : notes) {
            row(out, "note", note);
        }
    }

    private static String kib(Double bytes) {
        return bytes == null ? "not measured" : f("%.1f KiB", bytes / 1024.0);
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
