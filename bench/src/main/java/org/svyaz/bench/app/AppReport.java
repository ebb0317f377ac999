// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import java.util.List;
import java.util.Locale;

/**
 * What one run of the web app's benchmark measured: alice's chat list and her biggest conversation
 * in a real Chromium, step by step. Times are milliseconds of the page's own clock
 * ({@code performance.now()}), except the set-up's seconds.
 *
 * @param scenario always "app"
 * @param chats chats with one message each, from as many accounts
 * @param messages messages in the big conversation
 * @param server how the server ran
 * @param browser the browser's version
 * @param setupSeconds registering every account and sending every message, until alice's daemon had them all
 * @param steps each step of the page, in order
 * @param notes anything that qualifies the numbers
 */
public record AppReport(String scenario, int chats, int messages, String server, String browser,
                        double setupSeconds, List<Step> steps, List<String> notes) {

    /**
     * One step of the page.
     *
     * @param name what the user did
     * @param wallMillis from the step's start to what it waits for being shown
     * @param longTasks the browser's long tasks (50 ms or more on the main thread) that began in the step
     * @param longTaskMillis their durations added up
     * @param longestTaskMillis the longest of them; 0 without any
     * @param calls the app's JSON-RPC calls that began in the step, by method
     * @param heapMiB the page's used JS heap at the step's end (Chromium's performance.memory); null without it
     * @param detail what the step found (how many chats or messages, pages, whether it got through)
     */
    public record Step(String name, double wallMillis, int longTasks, double longTaskMillis, double longestTaskMillis,
                       List<Calls> calls, Double heapMiB, String detail) {}

    /**
     * One method's calls in a step, from the app's fetch to its parsed answer.
     *
     * @param items what the answers held (chats or messages), added up
     */
    public record Calls(String method, int count, double totalMillis, double medianMillis, double maxMillis,
                        long items) {}

    /** The report as a table for people. */
    public String table() {
        StringBuilder out = new StringBuilder();
        row(out, "scenario", "the web app in Chromium: a long chat list and a long conversation (#15)");
        row(out, "server", server);
        row(out, "browser", browser);
        row(out, "chats / messages in the big one", chats + " + 1 / " + messages);
        row(out, "set-up (accounts, messages, until alice has all)", f("%.1f s", setupSeconds));
        out.append(String.format(Locale.ROOT, "%n%-34s %10s %6s %10s %9s %8s  %s%n", "step", "wall ms", "tasks",
                "task ms", "longest", "heap MiB", "calls (count, median / max ms)"));
        for (Step step : steps) {
            StringBuilder calls = new StringBuilder();
            for (Calls c : step.calls()) {
                calls.append(calls.isEmpty() ? "" : "; ").append(f("%s %d× %.0f / %.0f", c.method(), c.count(),
                        c.medianMillis(), c.maxMillis()));
            }
            out.append(String.format(Locale.ROOT, "%-34s %10.0f %6d %10.0f %9.0f %8s  %s%n", step.name(),
                    step.wallMillis(), step.longTasks(), step.longTaskMillis(), step.longestTaskMillis(),
                    step.heapMiB() == null ? "-" : f("%.1f", step.heapMiB()), calls));
            out.append(String.format(Locale.ROOT, "%-34s %s%n", "", step.detail()));
        }
        out.append(System.lineSeparator());
        for (String note : notes) {
            row(out, "note", note);
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String name, String value) {
        out.append(String.format(Locale.ROOT, "%-50s %s%n", name, value));
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
