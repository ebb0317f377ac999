// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Runs the steps of reaching the server one by one for every address in the descriptor (system
 * DNS, TCP connect, TLS with and without the server's name, WebSocket upgrade) and names the step a
 * censor breaks, in OONI's vocabulary. Every step has its own timeout and addresses are probed in
 * parallel, so the whole probe ends within {@link #TOTAL}.
 */
public final class Probe {
    public static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration TOTAL = Duration.ofSeconds(30);

    private final Duration stepTimeout;

    public Probe() {
        this(STEP_TIMEOUT);
    }

    Probe(Duration stepTimeout) {
        this.stepTimeout = stepTimeout;
    }

    public List<EndpointReport> run(InviteLink link) throws InterruptedException {
        SSLContext tls = pinnedContext(link);
        List<CompletableFuture<EndpointReport>> running = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Endpoint endpoint : link.descriptor().getEndpointsList()) {
                running.add(CompletableFuture.supplyAsync(() -> probe(endpoint, tls), executor));
            }
            List<EndpointReport> reports = new ArrayList<>();
            long deadline = System.nanoTime() + TOTAL.toNanos();
            for (int i = 0; i < running.size(); i++) {
                Endpoint endpoint = link.descriptor().getEndpoints(i);
                try {
                    reports.add(running.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException | ExecutionException e) {
                    reports.add(new EndpointReport(name(endpoint), List.of(StepResult.failed("probe",
                            "generic_timeout_error", TOTAL.toMillis(), "the probe ran out of time")), "tcp_ip", false,
                            "Use a relay."));
                }
            }
            executor.shutdownNow();
            return reports;
        }
    }

    private EndpointReport probe(Endpoint endpoint, SSLContext tls) {
        List<StepResult> steps = new ArrayList<>();
        String host = endpoint.getHost();
        boolean named = !host.matches("[0-9.]+") && !host.contains(":");

        StepResult dns = timed("dns", () -> {
            InetAddress[] addresses = InetAddress.getAllByName(host);
            return "resolved to " + addresses.length + " address(es)";
        });
        steps.add(dns);
        if (!dns.ok()) {
            return report(endpoint, steps, "dns", false,
                    "The name does not resolve here: use the descriptor's IP addresses or DNS-over-HTTPS.");
        }
        StepResult tcp = timed("tcp_connect", () -> {
            try (Socket socket = connect(endpoint)) {
                return "connected";
            }
        });
        steps.add(tcp);
        if (!tcp.ok()) {
            return report(endpoint, steps, "tcp_ip", false, "The address is blocked: use a relay.");
        }
        StepResult withSni = named
                ? timed("tls_handshake_sni", () -> handshake(endpoint, tls, true))
                : StepResult.skipped("tls_handshake_sni");
        StepResult withoutSni = timed("tls_handshake_no_sni", () -> handshake(endpoint, tls, false));
        steps.add(withSni);
        steps.add(withoutSni);
        boolean sniFiltered = named && !withSni.ok() && withoutSni.ok();
        if (!withoutSni.ok() && !withSni.ok()) {
            return report(endpoint, steps, "tls", false, "TLS to this address is blocked or tampered with: use a relay.");
        }
        StepResult upgrade = timed("websocket_upgrade", () -> upgrade(endpoint, tls, !sniFiltered && named));
        steps.add(upgrade);
        if (!upgrade.ok()) {
            return report(endpoint, steps, "http-failure", sniFiltered, "The WebSocket upgrade fails: use a relay.");
        }
        if (sniFiltered) {
            return report(endpoint, steps, "tls", true,
                    "The server's name in the ClientHello is filtered: connect without SNI (done automatically).");
        }
        return report(endpoint, steps, "ok", false, "Reachable directly.");
    }

    private static EndpointReport report(Endpoint endpoint, List<StepResult> steps, String verdict, boolean sniFiltered,
                                         String recommendation) {
        return new EndpointReport(name(endpoint), List.copyOf(steps), verdict, sniFiltered, recommendation);
    }

    private static String name(Endpoint endpoint) {
        return endpoint.getHost() + ":" + endpoint.getPort();
    }

    @FunctionalInterface
    private interface Step {
        String run() throws Exception;
    }

    /** Runs a step on its own thread so that even a call without a timeout (system DNS) is bounded. */
    private StepResult timed(String name, Step step) {
        long start = System.nanoTime();
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread worker = Thread.ofVirtual().start(() -> {
            try {
                result.complete(step.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            String detail = result.get(stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return StepResult.ok(name, elapsed(start), detail);
        } catch (TimeoutException e) {
            worker.interrupt();
            return StepResult.failed(name, "generic_timeout_error", elapsed(start), "no answer within "
                    + stepTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            return StepResult.failed(name, failureOf(e.getCause()), elapsed(start), String.valueOf(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StepResult.failed(name, "interrupted", elapsed(start), "interrupted");
        }
    }

    private static long elapsed(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** OONI's failure strings (ooni/spec data-formats/df-007-errors). */
    static String failureOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException) {
                return "dns_nxdomain_error";
            }
            if (t instanceof SocketTimeoutException) {
                return "generic_timeout_error";
            }
            if (t instanceof ConnectException) {
                return "connection_refused";
            }
            if (t instanceof NoRouteToHostException) {
                return "host_unreachable";
            }
            if (t instanceof SSLHandshakeException handshake) {
                String message = String.valueOf(handshake.getMessage());
                return message.contains("pin") || message.contains("certificate")
                        ? "ssl_unknown_authority" : "ssl_failed_handshake";
            }
            if (t instanceof SocketException && String.valueOf(t.getMessage()).toLowerCase().contains("reset")) {
                return "connection_reset";
            }
            if (t instanceof java.io.EOFException || String.valueOf(t.getMessage()).contains("closed")) {
                return "eof_error";
            }
        }
        return "unknown_failure: " + failure.getClass().getSimpleName();
    }

    private Socket connect(Endpoint endpoint) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), (int) stepTimeout.toMillis());
            socket.setSoTimeout((int) stepTimeout.toMillis());
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private SSLSocket tlsSocket(Endpoint endpoint, SSLContext tls, boolean sni) throws IOException {
        Socket plain = connect(endpoint);
        InetSocketAddress address = (InetSocketAddress) plain.getRemoteSocketAddress();
        // Created with the literal address, so the JDK adds no server name of its own.
        SSLSocket socket = (SSLSocket) tls.getSocketFactory()
                .createSocket(plain, address.getAddress().getHostAddress(), endpoint.getPort(), true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(sni ? List.of(new SNIHostName(endpoint.getHost())) : List.of());
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    private String handshake(Endpoint endpoint, SSLContext tls, boolean sni) throws IOException {
        try (SSLSocket socket = tlsSocket(endpoint, tls, sni)) {
            return "handshake done, key matches the pin (" + socket.getSession().getProtocol() + ")";
        }
    }

    private String upgrade(Endpoint endpoint, SSLContext tls, boolean sni) throws IOException {
        try (SSLSocket socket = tlsSocket(endpoint, tls, sni)) {
            byte[] nonce = new byte[16];
            new SecureRandom().nextBytes(nonce);
            String request = "GET " + ApiPaths.WEBSOCKET + " HTTP/1.1\r\n"
                    + "Host: " + endpoint.getHost() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder status = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n' && status.length() < 200) {
                status.append((char) c);
            }
            String line = status.toString().strip();
            if (!line.startsWith("HTTP/1.1 101")) {
                throw new IOException("the upgrade was answered with '" + line + "'");
            }
            return "WebSocket upgrade accepted";
        }
    }

    private static SSLContext pinnedContext(InviteLink link) {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(null, new TrustManager[] {new PinnedTrustManager(link.descriptor().getTlsKeyPinsList().stream()
                    .map(ByteString::toByteArray).toList())}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS 1.3 is part of every JDK since 11", e);
        }
    }
}
