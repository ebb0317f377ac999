// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import java.util.Map;

/**
 * What one run of the reconnect-storm scenario (d) measured. Times in seconds from the storm's
 * start, when every device begins to reconnect.
 *
 * @param scenario always "storm"
 * @param reconnected devices whose login succeeded, retries included
 * @param gaveUp devices that could not log in within the storm's timeout
 * @param retries failed login attempts that were retried after a back-off
 * @param authenticatedSeconds until the last device's login returned (for Svyaz a login returns once
 *     what waited for the device has been pushed to it)
 * @param drainedSeconds until the last waiting message arrived; null when some never did
 * @param serverCpuSeconds the server's CPU from the storm's start to its end; null when not measured
 * @param serverCpuMicrosPerLogin that CPU per reconnected device (TLS, authentication, and pushing what
 *     waited); null when not measured
 */
public record StormReport(String scenario, StormOptions options, String server, double registrationSeconds,
                          double storeSeconds, int reconnected, int gaveUp, long retries,
                          double authenticatedSeconds, Double drainedSeconds, DeliveryLedger.Summary ledger,
                          Map<String, Long> rejections, Double serverCpuSeconds, Double serverCpuMicrosPerLogin,
                          List<String> notes) {}
