// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

/**
 * What the censor does, as in the list. {@code route} is a pattern the winning route's
 * description must contain (null: any route may win, e.g. when several survive throttling), and
 * {@code verdict} is the probe's verdict for the server's direct route.
 */
enum Scenario {
    NONE("No censorship", "direct svyaz\\.test:8443", "ok"),
    DNS_NXDOMAIN("National DNS answers NXDOMAIN for the server's name and intercepts UDP 53 to other resolvers",
            "from DNS over HTTPS", "dns"),
    DNS_WRONG_ADDRESS("National DNS answers a wrong address for the server's name", "from DNS over HTTPS", "dns"),
    IP_DROPPED("Packets to the server's IP address are dropped", "relay ", "tcp_ip"),
    IP_RESET("Connections to the server's IP address are reset", "relay ", "tcp_ip"),
    SNI_DROPPED("A DPI parses the ClientHello and drops it when its SNI names the server", Patterns.SNI_HIDDEN, "tls"),
    SNI_RESET("A DPI parses the ClientHello and resets the connection when its SNI names the server",
            Patterns.SNI_HIDDEN, "tls"),
    SNI_OR_NONE_DROPPED("A DPI drops ClientHellos that name the server or name nothing", "with SNI www\\.example\\.com",
            "tls"),
    THROTTLED("Each flow to the server's address throttled to 16 kbit/s", null, "throttling"),
    FROZEN("Flows to the server's address frozen after 16 KB", null, "throttling"),
    ONLY_WEB_PORTS("Only TCP ports 80 and 443 are allowed out", "relay ", "tcp_ip"),
    RELAY_ONLY("Every direct route blocked: the name (NXDOMAIN), the server's address and the DoH resolver",
            "relay ", "dns"),
    RELAY_FROZEN("Every direct route blocked, and flows to the relay frozen after 16 KB", "relay ", "dns");

    final String description;
    final String route;
    final String verdict;

    Scenario(String description, String route, String verdict) {
        this.description = description;
        this.route = route;
        this.verdict = verdict;
    }

    private static final class Patterns {
        /** Either way of hiding the server's name from the DPI may win the race. */
        static final String SNI_HIDDEN = "(without SNI|with SNI www\\.example\\.com)$";
    }
}
