// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import java.util.List;
import java.util.Map;
import org.svyaz.bench.relay.DeliveryLedger;
import org.svyaz.bench.relay.RelayReport.Latency;

/**
 * What one run of the daemon benchmark measured: the same messages from alice to bob, first as
 * {@code send} calls on one connection to alice's daemon, then as one {@code svyaz send} process
 * each, with bob's daemon notifying the load tool of every arrival both times. Times are in
 * seconds, latencies in milliseconds.
 *
 * @param scenario always "daemon"
 * @param messages sends through the daemon connection
 * @param window unanswered sends on that connection at most
 * @param cliSends sends by a process each
 * @param size characters per message text
 * @param server how the server ran
 * @param setupSeconds registering both accounts and starting both daemons
 * @param daemon the daemon connection's path
 * @param cli the process-per-send path; null when --cli-sends was 0
 * @param sendsPerSecondRatio the daemon's sends/s over the CLI's; null without a CLI path
 * @param notes anything that qualifies the numbers
 */
public record DaemonReport(String scenario, int messages, int window, int cliSends, int size, String server,
                           double setupSeconds, PathResult daemon, PathResult cli, Double sendsPerSecondRatio,
                           List<String> notes) {

    /**
     * One way of sending.
     *
     * @param path "daemon" or "cli"
     * @param ledger every message in one column (planned, accepted, rejected, delivered, lost, duplicates, foreign)
     * @param failures failed sends by cause (a JSON-RPC error code, a process's exit status, no answer)
     * @param sendSeconds first send to last answer (for the CLI: first process started to last exited)
     * @param sendsPerSecond accepted sends per second of {@code sendSeconds}
     * @param sendLatency request written to answer read; for the CLI, process started to process exited
     * @param notificationLatency request written (process started) to bob's {@code receive} notification read,
     *                            first arrivals only
     * @param cpu CPU time per accepted send, by who spent it
     */
    public record PathResult(String path, DeliveryLedger.Summary ledger, Map<String, Long> failures,
                             double sendSeconds, double sendsPerSecond, Latency sendLatency,
                             Latency notificationLatency, Cpu cpu) {}

    /**
     * CPU time (user plus system, from /proc) per accepted send in milliseconds, from the path's
     * first send to the end of its drain. Null where it could not be read.
     *
     * @param sender alice's daemon, or the {@code svyaz send} processes (read once they have exited)
     * @param server the server's processes (not measured for a --server without --server-pid)
     * @param receiver bob's daemon, which decrypts each message, notifies, and sends a delivery receipt
     */
    public record Cpu(Double sender, Double server, Double receiver) {}
}
