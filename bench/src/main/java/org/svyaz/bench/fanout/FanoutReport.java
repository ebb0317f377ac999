// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.util.List;
import java.util.Map;
import org.svyaz.bench.relay.RelayReport;

/**
 * What one run of the group fan-out scenario measured. Times are in seconds, latencies in
 * milliseconds, memory in bytes. A message is one send to the server; a copy is what one member
 * receives of it.
 *
 * @param scenario always "fanout" (scenario (e))
 * @param members the group's size, senders included
 * @param senders members that sent
 * @param messages group messages the run meant to send
 * @param size plaintext bytes per message
 * @param window per-sender unanswered sends at most
 * @param seed the plaintexts' random seed
 * @param server how the server ran
 * @param registrationSeconds registering every member
 * @param setupSeconds the senders' sender certificates, every member's prekey bundle, the sessions
 *                     built from them, and the sender keys handed to the members
 * @param encryption sealing every message, before the send phase
 * @param connectSeconds logging every member in (TLS, WebSocket upgrade, first queue-empty marker)
 * @param sendSeconds from the first send to the last answer from the server
 * @param runSeconds from the first send to the last first arrival of a copy
 * @param deliveriesPerSecond distinct copies delivered per second of {@code runSeconds}
 * @param ledger every message and every copy counted once
 * @param rejections server refusals by error code ("CONNECTION" when the request got no answer)
 * @param copyLatency from just before a message's send to each member's first copy
 * @param completionLatency from just before a message's send to the arrival of its last missing
 *                          copy, for the messages every member received
 * @param serverUsage the server process's CPU and memory; null when it was not measured
 * @param loadToolCpuSeconds CPU time this load tool spent from the first send to the end of the drain
 * @param verification copies opened with the members' keys after the run
 * @param notes anything that qualifies the numbers
 */
public record FanoutReport(String scenario, int members, int senders, int messages, int size, int window, long seed,
                           String server, double registrationSeconds, double setupSeconds, Encryption encryption,
                           double connectSeconds, double sendSeconds, double runSeconds, double deliveriesPerSecond,
                           FanoutLedger.Summary ledger, Map<String, Long> rejections,
                           RelayReport.Latency copyLatency, RelayReport.Latency completionLatency,
                           ServerUsage serverUsage, Double loadToolCpuSeconds, Verification verification,
                           List<String> notes) {

    /**
     * Sealing the messages: one sender-key encryption and one {@code multiRecipientEncrypt} each.
     *
     * @param messages messages sealed
     * @param recipientDevices devices each message was sealed for
     * @param seconds all of them, one after another
     * @param p50Millis per message, median
     * @param p99Millis per message, 99th percentile
     * @param maxMillis per message, slowest
     * @param payloadBytes mean size of one sealed payload (what one send carries)
     */
    public record Encryption(long messages, int recipientDevices, double seconds, double p50Millis, double p99Millis,
                             double maxMillis, long payloadBytes) {}

    /**
     * The server process's resources, from /proc.
     *
     * @param cpuSeconds user plus system CPU time from the first send to the end of the drain
     * @param cpuMicrosPerCopy that CPU time per distinct delivered copy
     * @param cpuMillisPerMessage that CPU time per accepted message
     * @param rssWithConnections resident memory with every member logged in, before sending
     * @param rssAfterRun resident memory after the drain
     * @param peakRss the largest resident memory the process had, up to the end of the drain
     */
    public record ServerUsage(double cpuSeconds, double cpuMicrosPerCopy, double cpuMillisPerMessage,
                              long rssWithConnections, long rssAfterRun, long peakRss) {}

    /**
     * Copies opened with the receiving member's keys after the run ({@link CopyVerifier}).
     *
     * @param copies copies opened: every copy of every k-th message, all of them in a small run
     * @param opened copies that opened and held what the run sent as that message
     * @param failed copies that did not open for their member, or held something else
     * @param seconds time spent opening them
     */
    public record Verification(long copies, long opened, long failed, double seconds) {}
}
