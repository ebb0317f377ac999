// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The words the probe uses: failure strings for exceptions, verdicts for step lists. */
class VerdictsTest {
    @Test
    void exceptionsGetOonisFailureStrings() {
        assertThat(Failures.of(new UnknownHostException("x.invalid: Name or service not known"))).isEqualTo("dns_nxdomain_error");
        assertThat(Failures.of(new UnknownHostException("x: Temporary failure in name resolution")))
                .isEqualTo("dns_temporary_failure");
        assertThat(Failures.of(new SocketTimeoutException("Read timed out"))).isEqualTo("generic_timeout_error");
        assertThat(Failures.of(new ConnectException("Connection refused"))).isEqualTo("connection_refused");
        assertThat(Failures.of(new SSLHandshakeException("the server's TLS key does not match the invite link's pin")))
                .isEqualTo("ssl_unknown_authority");
        assertThat(Failures.of(new SSLException("Unsupported or unrecognized SSL message"))).isEqualTo("ssl_failed_handshake");
        assertThat(Failures.of(new UnexpectedStatusException(404, "HTTP/1.1 404 Not Found")))
                .isEqualTo("http_unexpected_status_code");
        assertThat(Failures.of(new RelayRefusedException(new SSLException("Unsupported or unrecognized SSL message"))))
                .isEqualTo("relay_secret_refused");
    }

    @Test
    void aNetworkCauseInsideATlsExceptionIsTheFailure() {
        SSLHandshakeException reset = new SSLHandshakeException("handshake failed");
        reset.initCause(new SocketException("Connection reset"));
        assertThat(Failures.of(reset)).isEqualTo("connection_reset");
        SSLHandshakeException eof = new SSLHandshakeException("Remote host terminated the handshake");
        eof.initCause(new EOFException("SSL peer shut down incorrectly"));
        assertThat(Failures.of(eof)).isEqualTo("eof_error");
        assertThat(Failures.of(new IOException("odd"))).isEqualTo("unknown_failure: IOException");
    }

    @Test
    void bogonsAreAddressesNobodyCanReachFromTheInternet() throws Exception {
        for (String bogon : List.of("10.10.34.35", "127.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "0.0.0.0",
                "169.254.1.1", "fd00::1", "::1")) {
            assertThat(Failures.bogon(InetAddress.getByName(bogon))).as(bogon).isTrue();
        }
        for (String routable : List.of("203.0.113.7", "8.8.8.8", "100.128.0.1", "2001:db8::1")) {
            assertThat(Failures.bogon(InetAddress.getByName(routable))).as(routable).isFalse();
        }
        assertThat(Failures.allBogons(List.of())).isFalse();
    }

    @Test
    void theVerdictIsNamedAfterTheFirstFailedStep() {
        StepResult ok = StepResult.ok("dns", 0, "");
        assertThat(Verdicts.of(List.of(ok, StepResult.ok("tcp_connect", 1, "")))).isEqualTo("ok");
        assertThat(Verdicts.of(List.of(StepResult.failed("dns", "dns_nxdomain_error", 0, "")))).isEqualTo("dns");
        assertThat(Verdicts.of(List.of(ok, StepResult.failed("dns_consistency", "dns_inconsistent", 0, "")))).isEqualTo("dns");
        assertThat(Verdicts.of(List.of(StepResult.failed("tcp_connect", "dns_nxdomain_error", 0, ""))))
                .as("a relay's name that does not resolve").isEqualTo("dns");
        assertThat(Verdicts.of(List.of(ok, StepResult.failed("tcp_connect", "connection_refused", 0, ""),
                StepResult.skipped("tls_handshake_no_sni")))).isEqualTo("tcp_ip");
        assertThat(Verdicts.of(List.of(ok, StepResult.failed("relay_tls_handshake", "generic_timeout_error", 0, ""))))
                .isEqualTo("tls");
        assertThat(Verdicts.of(List.of(StepResult.failed("tls_handshake_sni", "connection_reset", 0, "")))).isEqualTo("tls");
        assertThat(Verdicts.of(List.of(StepResult.failed("websocket_upgrade", "http_unexpected_status_code", 0, ""))))
                .isEqualTo("http-failure");
        assertThat(Verdicts.of(List.of(StepResult.failed("transfer", "transfer_too_slow", 0, "")))).isEqualTo("throttling");
        assertThat(Verdicts.of(List.of(StepResult.skipped("transfer", "not measured")))).as("not measured is no failure")
                .isEqualTo("ok");
    }

    @Test
    void randomNamesAreFreshAndLookLikeOrdinaryDomains() {
        String one = SniMode.randomName();
        assertThat(one).matches("[a-z][a-z0-9]{7}\\.com");
        assertThat(SniMode.randomName()).isNotEqualTo(one);
    }
}
