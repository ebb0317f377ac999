// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A page's CPU profile as DevTools' {@code Profiler.stop} returns it (the {@code .cpuprofile}
 * format that Chromium's DevTools opens), summed up by function: where the main thread's time went.
 * Time spent in the browser's own work that a script set off (a layout forced by reading
 * {@code scrollHeight}, say) counts to that script's function; rendering outside any script is
 * "(program)".
 */
final class CpuProfile {
    /** A function's time: its own samples, and those of everything it called. */
    record Function(String name, double selfMillis, double totalMillis) {}

    private final List<Function> functions;
    private final double sampledMillis;

    private CpuProfile(List<Function> functions, double sampledMillis) {
        this.functions = functions;
        this.sampledMillis = sampledMillis;
    }

    /** Sums the profile's samples per function (name, script and line). */
    @SuppressWarnings("unchecked")
    static CpuProfile of(Map<String, Object> profile) {
        List<Map<String, Object>> nodes = (List<Map<String, Object>>) profile.get("nodes");
        List<Object> samples = (List<Object>) profile.getOrDefault("samples", List.of());
        List<Object> deltas = (List<Object>) profile.getOrDefault("timeDeltas", List.of());
        Map<Long, Map<String, Object>> byId = new HashMap<>();
        Map<Long, Long> parents = new HashMap<>();
        for (Map<String, Object> node : nodes) {
            long id = (long) AppPage.number(node.get("id"));
            byId.put(id, node);
            for (Object child : (List<Object>) node.getOrDefault("children", List.of())) {
                parents.put((long) AppPage.number(child), id);
            }
        }
        // A sample's time is the gap to the next one (DevTools' own reading of timeDeltas).
        Map<String, Double> self = new LinkedHashMap<>();
        Map<String, Double> total = new LinkedHashMap<>();
        double sampled = 0;
        for (int i = 0; i < samples.size(); i++) {
            double millis = i + 1 < deltas.size() ? AppPage.number(deltas.get(i + 1)) / 1000.0 : 0;
            sampled += millis;
            long id = (long) AppPage.number(samples.get(i));
            self.merge(name(byId.get(id)), millis, Double::sum);
            // Each function on the sample's stack once, however often it recurs.
            List<String> seen = new ArrayList<>();
            for (Long at = id; at != null; at = parents.get(at)) {
                String name = name(byId.get(at));
                if (!seen.contains(name)) {
                    seen.add(name);
                    total.merge(name, millis, Double::sum);
                }
            }
        }
        List<Function> functions = new ArrayList<>();
        total.forEach((name, millis) -> functions.add(new Function(name, self.getOrDefault(name, 0.0), millis)));
        return new CpuProfile(functions, sampled);
    }

    private static String name(Map<String, Object> node) {
        @SuppressWarnings("unchecked")
        Map<String, Object> frame = (Map<String, Object>) node.get("callFrame");
        String function = String.valueOf(frame.get("functionName"));
        String url = String.valueOf(frame.getOrDefault("url", ""));
        if (url.isEmpty()) {
            return function.isEmpty() ? "(anonymous)" : function;
        }
        String script = url.substring(url.lastIndexOf('/') + 1);
        long line = (long) AppPage.number(frame.getOrDefault("lineNumber", -1L)) + 1;
        return (function.isEmpty() ? "(anonymous)" : function) + " " + script + ":" + line;
    }

    /** The {@code limit} functions with the most time of their own, then those with the most in all. */
    String summary(int limit) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "sampled %.0f ms%n", sampledMillis));
        out.append(String.format(Locale.ROOT, "%10s %10s  %s%n", "self ms", "total ms", "function (by self time)"));
        functions.stream().sorted(Comparator.comparingDouble(Function::selfMillis).reversed()).limit(limit)
                .forEach(f -> out.append(line(f)));
        out.append(String.format(Locale.ROOT, "%10s %10s  %s%n", "self ms", "total ms", "function (by total time)"));
        functions.stream().sorted(Comparator.comparingDouble(Function::totalMillis).reversed()).limit(limit)
                .forEach(f -> out.append(line(f)));
        return out.toString();
    }

    private static String line(Function f) {
        return String.format(Locale.ROOT, "%10.0f %10.0f  %s%n", f.selfMillis(), f.totalMillis(), f.name());
    }
}
