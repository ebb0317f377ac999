// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Failure strings. Most are OONI's (ooni/spec data-formats/df-007-errors); where OONI has no word
 * for what the probe saw, Svyaz adds its own in the same style:
 * <ul>
 * <li>{@link #DNS_INCONSISTENT}: the system's DNS answered, but none of its addresses holds the
 *     server's key while an address from DNS over HTTPS does (a lying resolver; OONI's Web
 *     Connectivity calls this DNS inconsistency). When the system's addresses are all private,
 *     loopback or otherwise unroutable it is OONI's {@code dns_bogon_error} instead.</li>
 * <li>{@link #TRANSFER_TOO_SLOW}: the timed download went on but slower than {@link Probe#MIN_KBPS}.</li>
 * <li>{@link #FLOW_FROZEN}: the timed download carried some kilobytes, then nothing more came: a
 *     censor that freezes flows after so many bytes (as Russia's does for foreign hosting).</li>
 * <li>{@link #RELAY_SECRET_REFUSED}: the relay answered our token like a web site, not with the
 *     server's TLS.</li>
 * </ul>
 */
final class Failures {
    static final String TIMEOUT = "generic_timeout_error";
    static final String DNS_BOGON = "dns_bogon_error";
    static final String DNS_INCONSISTENT = "dns_inconsistent";
    static final String UNEXPECTED_STATUS = "http_unexpected_status_code";
    static final String TRANSFER_TOO_SLOW = "transfer_too_slow";
    static final String FLOW_FROZEN = "flow_frozen";
    static final String RELAY_SECRET_REFUSED = "relay_secret_refused";

    private Failures() {}

    /**
     * The failure string for an exception. Network causes anywhere in the chain win over the TLS
     * exception wrapping them: a reset during the handshake is a reset, not a handshake failure.
     */
    static String of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof UnknownHostException) {
                return message.contains("Temporary failure") ? "dns_temporary_failure"
                        : message.contains("No address associated") || message.contains("no address") ? "dns_no_answer"
                        : "dns_nxdomain_error";
            }
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof NoRouteToHostException) {
                return "host_unreachable";
            }
            if (t instanceof ConnectException) {
                return message.contains("unreachable") ? "network_unreachable" : "connection_refused";
            }
            if (t instanceof SocketException && message.toLowerCase(Locale.ROOT).contains("reset")) {
                return "connection_reset";
            }
            if (t instanceof EOFException) {
                return "eof_error";
            }
            if (t instanceof UnexpectedStatusException) {
                return UNEXPECTED_STATUS;
            }
            if (t instanceof RelayRefusedException) {
                return RELAY_SECRET_REFUSED;
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof SSLHandshakeException) {
                return message.contains("pin") || message.contains("certificate")
                        ? "ssl_unknown_authority" : "ssl_failed_handshake";
            }
            if (t instanceof SSLException) {
                return "ssl_failed_handshake";
            }
            if (message.contains("closed")) {
                return "eof_error";
            }
        }
        return "unknown_failure: " + failure.getClass().getSimpleName();
    }

    /** The exception's own words, for the step's detail. */
    static String sentence(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        String inner = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return outer.contains(inner) ? outer : outer + " (" + inner + ")";
    }

    /** The TLS peer sent something that is not TLS at all, e.g. an HTTP answer. */
    static boolean notTls(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLException && String.valueOf(t.getMessage()).contains("nrecognized SSL message")) {
                return true;
            }
        }
        return false;
    }

    /** Addresses nobody can be reached at from the Internet: what a resolver that blocks by lying often returns. */
    static boolean allBogons(List<InetAddress> addresses) {
        return !addresses.isEmpty() && addresses.stream().allMatch(Failures::bogon);
    }

    static boolean bogon(InetAddress address) {
        byte[] bytes = address.getAddress();
        boolean uniqueLocal = bytes.length == 16 && (bytes[0] & 0xfe) == 0xfc;
        boolean sharedAddressSpace = bytes.length == 4 && (bytes[0] & 0xff) == 100 && (bytes[1] & 0xc0) == 64;
        return address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress() || uniqueLocal || sharedAddressSpace;
    }
}
