// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;

/**
 * What one run of the idle-connections scenario (c) measured. Memory in bytes; a null field was
 * not measured (the server is not a separate process, or not a JVM for the heap).
 *
 * @param scenario always "idle"
 * @param held connections that were logged in and still open after the hold
 * @param loginSeconds from the first login to the last one that returned
 * @param loginFailure why logging in stopped before every connection was up; null when all came up
 * @param serverRssBefore the server's RSS with no benchmark connection, after a full GC when a JVM
 * @param serverRssWith the server's RSS holding the connections, after a full GC when a JVM
 * @param serverRssPerConnection the difference per held connection
 * @param serverHeapPerConnection live heap (after a full GC) per held connection
 * @param loadToolRssPerConnection the load tool's own RSS growth per connection, for scale
 * @param serverCpuMicrosPerLogin the server's CPU during the logins per login
 */
public record IdleReport(String scenario, IdleOptions options, String server, double registrationSeconds,
                         int held, double loginSeconds, String loginFailure, Long serverRssBefore,
                         Long serverRssWith, Double serverRssPerConnection, Double serverHeapPerConnection,
                         Double loadToolRssPerConnection, Double serverCpuMicrosPerLogin, List<String> notes) {}
