// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one run of the online-relay scenario measured. Times are in seconds, latencies in
 * milliseconds, memory in bytes.
 *
 * @param scenario always "relay" (the online-relay scenario (a))
 * @param users users that logged in and sent
 * @param messages messages the run meant to send
 * @param size bytes per message
 * @param window per-user unanswered sends at most
 * @param rate offered messages per second on a fixed schedule (open loop); 0 for as fast as the window allows
 * @param seed the recipients' random seed
 * @param server how the server ran
 * @param payload what the server carried: "opaque" benchmark bytes, or "libsignal end to end" ciphertext
 * @param registrationSeconds registering every user
 * @param connectSeconds logging every user in (TLS, WebSocket upgrade, first queue-empty marker)
 * @param sendSeconds from the first send to the last answer from the server
 * @param runSeconds from the first send to the last first arrival
 * @param deliveredPerSecond distinct messages delivered per second of {@code runSeconds}
 * @param ledger every message counted once
 * @param undecryptable arrivals that failed end-to-end decryption (0 with an opaque payload); the ledger
 *                      counts them foreign, and the messages they were lost
 * @param rejections server refusals by error code ("CONNECTION" when the request got no answer,
 *                   "ENCRYPTION" when the load tool could not encrypt the message)
 * @param latency time from just before the send to the arrival at the recipient, first arrivals only
 * @param serverUsage the server process's CPU and memory; null when it was not measured
 * @param loadToolCpuSeconds CPU time this load tool spent during the run (it shares the machine)
 * @param notes anything that qualifies the numbers
 */
public record RelayReport(String scenario, int users, int messages, int size, int window, double rate, long seed,
                          String server,
                          String payload, double registrationSeconds, double connectSeconds, double sendSeconds,
                          double runSeconds, double deliveredPerSecond, DeliveryLedger.Summary ledger,
                          long undecryptable, Map<String, Long> rejections,
                          Latency latency, ServerUsage serverUsage, Double loadToolCpuSeconds, List<String> notes) {

    /**
     * Latency percentiles, from an HdrHistogram of microseconds with three significant digits.
     *
     * @param count first arrivals recorded
     */
    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
        /** The percentiles of a histogram of microseconds, in milliseconds. */
        public static Latency of(Histogram micros) {
            Histogram snapshot = micros.copy();
            return new Latency(snapshot.getTotalCount(), millis(snapshot.getValueAtPercentile(50)),
                    millis(snapshot.getValueAtPercentile(90)), millis(snapshot.getValueAtPercentile(99)),
                    millis(snapshot.getValueAtPercentile(99.9)), millis(snapshot.getMaxValue()));
        }

        private static double millis(long micros) {
            return micros / 1_000.0;
        }
    }

    /**
     * The server process's resources, from /proc.
     *
     * @param cpuSeconds user plus system CPU time from the first send to the end of the drain
     * @param cpuMicrosPerDelivered that CPU time per distinct delivered message
     * @param rssBeforeConnections resident memory after registration, before the users logged in
     * @param rssWithConnections resident memory with every user logged in, before sending
     * @param rssPerConnection the difference divided by the users (JVM heap growth makes it rough)
     * @param rssAfterRun resident memory after the drain
     * @param peakRss the largest resident memory the process had, up to the end of the drain
     */
    public record ServerUsage(double cpuSeconds, double cpuMicrosPerDelivered, long rssBeforeConnections,
                              long rssWithConnections, long rssPerConnection, long rssAfterRun, long peakRss) {}
}
