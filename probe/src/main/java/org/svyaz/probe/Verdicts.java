// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.List;
import java.util.Optional;

/**
 * Verdicts in OONI's terms, named after the first step that failed: {@code dns} (either DNS step,
 * the consistency check, or a relay's name), {@code tcp_ip} (the connect), {@code tls} (any
 * handshake), {@code http-failure} (the WebSocket upgrade), {@code throttling} (the timed
 * transfer, when everything before it worked), and {@code ok}.
 */
final class Verdicts {
    static final String OK = "ok";
    static final String DNS = "dns";
    static final String TCP_IP = "tcp_ip";
    static final String TLS = "tls";
    static final String HTTP_FAILURE = "http-failure";
    static final String THROTTLING = "throttling";

    private Verdicts() {}

    static String of(List<StepResult> steps) {
        return firstFailure(steps).map(Verdicts::of).orElse(OK);
    }

    static Optional<StepResult> firstFailure(List<StepResult> steps) {
        return steps.stream().filter(s -> s.failure().isPresent()).findFirst();
    }

    private static String of(StepResult failed) {
        String step = failed.step();
        if (step.startsWith("dns") || failed.failure().orElse("").startsWith("dns_")) {
            return DNS;
        }
        if (step.contains("tls_handshake")) {
            return TLS;
        }
        return switch (step) {
            case "websocket_upgrade" -> HTTP_FAILURE;
            case "transfer" -> THROTTLING;
            // tcp_connect, and "probe" when the whole probe ran out of time before an answer
            default -> TCP_IP;
        };
    }

    /** A sentence on what to do about a route with this verdict and first failure. */
    static String advice(String verdict, Optional<String> failure) {
        String why = failure.orElse("");
        return switch (verdict) {
            case OK -> "Works.";
            case DNS -> why.equals(Failures.DNS_INCONSISTENT) || why.equals(Failures.DNS_BOGON)
                    ? "The system's DNS gives an address that is not the server: DNS over HTTPS or a relay avoids it."
                    : "The system's DNS does not give the server's address: DNS over HTTPS or a relay avoids it.";
            case TCP_IP -> "The address is blocked: another address or a relay avoids it.";
            case TLS -> why.equals(Failures.RELAY_SECRET_REFUSED)
                    ? "The relay did not accept the secret (it answered like a web site); the relay link may be outdated."
                    : why.equals("ssl_unknown_authority")
                    ? "Something else answers there (its key does not match the pin): the address is hijacked or outdated."
                    : "TLS is blocked or tampered with: a route without SNI, under a cover name, or a relay may avoid it.";
            case HTTP_FAILURE -> "The WebSocket upgrade fails: a relay may avoid it.";
            case THROTTLING -> why.equals(Failures.FLOW_FROZEN)
                    ? "Flows freeze after a few kilobytes: messages still get through (Svyaz moves to fresh flows "
                    + "before they freeze) and files in pieces, more slowly; another route or a relay may avoid it."
                    : why.equals(Failures.TRANSFER_TOO_SLOW)
                    ? "Data is slowed down: messages get through, files slowly; another route or a relay may be faster."
                    : "Connections open but data is frozen: another route or a relay may avoid it.";
            default -> "";
        };
    }
}
