// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import java.util.Map;

/**
 * What one run of the store-and-forward scenario (b) measured. Times in seconds.
 *
 * @param scenario always "drain"
 * @param server how the server ran
 * @param storeSeconds from the first send to the last answer, every recipient offline
 * @param storedPerSecond accepted messages per second of {@code storeSeconds}
 * @param loginSeconds from the drain's start until every recipient's login returned (for Svyaz a
 *                     login returns after its mailbox has been pushed, so this includes delivery)
 * @param drainSeconds from the drain's start to the last first arrival
 * @param drainedPerSecond distinct messages delivered per second of {@code drainSeconds}
 * @param serverCpuSeconds server CPU during the drain; null when not measured
 * @param serverCpuMicrosPerMessage that CPU per delivered message; null when not measured
 */
public record DrainReport(String scenario, DrainOptions options, String server, double registrationSeconds,
                          double storeSeconds, double storedPerSecond, double loginSeconds, double drainSeconds,
                          double drainedPerSecond, DeliveryLedger.Summary ledger, Map<String, Long> rejections,
                          Double serverCpuSeconds, Double serverCpuMicrosPerMessage, List<String> notes) {}
