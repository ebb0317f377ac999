// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * Measures one way to the server step by step: TCP connect, the pinned TLS handshake, the
 * WebSocket upgrade on that connection, then the timed transfer on a fresh one along the same way.
 * The first step that fails ends the attempt.
 */
final class Attempts {
    /** How many addresses of one DNS answer are tried (at once). */
    static final int MAX_ADDRESSES = 4;
    /** Less than this left for the download, and it is not measured rather than measured as slow. */
    private static final Duration MIN_TRANSFER_TIME = Duration.ofSeconds(1);

    private final ServerDialer dialer;
    private final StepRunner steps;

    Attempts(ServerDialer dialer, StepRunner steps) {
        this.dialer = dialer;
        this.steps = steps;
    }

    /** Opens a fresh TLS connection to the server along the way being measured, over {@code tcp}. */
    @FunctionalInterface
    private interface Opener {
        SSLSocket open(CountingSocket tcp, Duration limit) throws IOException;
    }

    private record Handshake(InetAddress address, StepResult tcp, StepResult tls, Optional<SSLSocket> socket) {
        int progress() {
            return tls.ok() ? 2 : tcp.ok() ? 1 : 0;
        }
    }

    /**
     * Straight to the server at {@code addresses} (each at once, as the client races them); the
     * first address in their order whose handshake passes carries on. With {@code full} false only
     * the handshake is measured.
     */
    Attempt direct(List<InetAddress> addresses, int port, String host, SniMode mode, Optional<String> sni,
                   boolean full) {
        List<InetAddress> tried = addresses.subList(0, Math.min(addresses.size(), MAX_ADDRESSES));
        List<Handshake> handshakes = new ArrayList<>();
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<CompletableFuture<Handshake>> running = tried.stream()
                    .map(address -> CompletableFuture.supplyAsync(() -> handshake(address, port, mode, sni), executor))
                    .toList();
            // Each handshake is two bounded steps, so joining cannot hang.
            running.forEach(h -> handshakes.add(h.join()));
        } finally {
            executor.shutdownNow();
        }
        // The first address that got furthest: the one that passed, or else the most telling failure.
        Handshake best = handshakes.getFirst();
        for (Handshake handshake : handshakes) {
            if (handshake.progress() > best.progress()) {
                best = handshake;
            }
        }
        for (Handshake handshake : handshakes) {
            if (handshake != best) {
                handshake.socket().ifPresent(StepRunner::closeQuietly);
            }
        }

        List<StepResult> measured = new ArrayList<>(List.of(best.tcp(), best.tls()));
        if (best.socket().isEmpty()) {
            return new Attempt(measured, Optional.of(best.address()), false);
        }
        if (full) {
            InetSocketAddress carrier = new InetSocketAddress(best.address(), port);
            Opener again = (tcp, limit) -> dialer.serverTls(ServerDialer.connect(tcp, carrier, limit), port, sni, limit);
            measured.addAll(upgradeAndTransfer(best.socket().get(), host, again));
        } else {
            StepRunner.closeQuietly(best.socket().get());
        }
        return new Attempt(measured, Optional.of(best.address()), true);
    }

    private Handshake handshake(InetAddress address, int port, SniMode mode, Optional<String> sni) {
        InetSocketAddress target = new InetSocketAddress(address, port);
        StepRunner.Outcome<Socket> tcp = steps.run("tcp_connect", limit -> ServerDialer.connect(target, limit),
                socket -> "connected to " + describe(target));
        if (!tcp.ok()) {
            return new Handshake(address, tcp.result(), StepResult.skipped(mode.step), Optional.empty());
        }
        Socket plain = tcp.value().orElseThrow();
        StepRunner.Outcome<SSLSocket> tls = steps.run(mode.step, limit -> dialer.serverTls(plain, port, sni, limit),
                socket -> "handshake done, key matches the pin (" + socket.getSession().getProtocol() + ", "
                        + sni.map(name -> "SNI " + name).orElse("no SNI") + ")");
        if (!tls.ok()) {
            StepRunner.closeQuietly(plain);
        }
        return new Handshake(address, tcp.result(), tls.result(), tls.value());
    }

    /**
     * Through a relay: TCP to it, its own TLS under its innocuous name, the token, then the pinned
     * handshake with the server inside (without SNI, as the client does), upgrade and transfer.
     */
    Attempt relay(RelayLink relay, String serverHost, int serverPort) {
        RelayDescriptor descriptor = relay.descriptor();
        Opener inner = (tcp, limit) -> {
            // The relay's name is looked up here, inside a bounded step, like everything else.
            InetSocketAddress relayAddress = new InetSocketAddress(descriptor.getHost(), descriptor.getPort());
            SSLSocket outer = ServerDialer.relayTls(ServerDialer.connect(tcp, relayAddress, limit), descriptor, limit);
            try {
                return innerTls(outer, relay, serverPort, limit);
            } catch (IOException | RuntimeException e) {
                outer.close();
                throw e;
            }
        };
        List<StepResult> measured = new ArrayList<>();
        StepRunner.Outcome<Socket> tcp = steps.run("tcp_connect",
                limit -> ServerDialer.connect(new InetSocketAddress(descriptor.getHost(), descriptor.getPort()), limit),
                socket -> "connected to the relay at " + describe((InetSocketAddress) socket.getRemoteSocketAddress()));
        measured.add(tcp.result());
        if (!tcp.ok()) {
            return new Attempt(measured, Optional.empty(), false);
        }
        Socket plain = tcp.value().orElseThrow();
        Optional<InetAddress> address = Optional.of(plain.getInetAddress());
        StepRunner.Outcome<SSLSocket> outer = steps.run("relay_tls_handshake",
                limit -> ServerDialer.relayTls(plain, descriptor, limit),
                socket -> "handshake done, key matches the relay's pin (SNI " + descriptor.getSni() + ")");
        measured.add(outer.result());
        if (!outer.ok()) {
            StepRunner.closeQuietly(plain);
            return new Attempt(measured, address, false);
        }
        StepRunner.Outcome<SSLSocket> server = steps.run(SniMode.NONE.step,
                limit -> innerTls(outer.value().orElseThrow(), relay, serverPort, limit),
                socket -> "token accepted; handshake with the server inside done, key matches the pin");
        measured.add(server.result());
        if (!server.ok()) {
            outer.value().ifPresent(StepRunner::closeQuietly);
            return new Attempt(measured, address, false);
        }
        measured.addAll(upgradeAndTransfer(server.value().orElseThrow(), serverHost, inner));
        return new Attempt(measured, address, true);
    }

    private SSLSocket innerTls(SSLSocket outer, RelayLink relay, int serverPort, Duration limit) throws IOException {
        ServerDialer.sendToken(outer, relay.token());
        try {
            return dialer.serverTls(outer, serverPort, Optional.empty(), limit);
        } catch (SSLException e) {
            if (Failures.notTls(e)) {
                throw new RelayRefusedException(e);
            }
            throw e;
        }
    }

    /** The upgrade on {@code socket} (closed afterwards), then the transfer on a connection from {@code again}. */
    private List<StepResult> upgradeAndTransfer(SSLSocket socket, String host, Opener again) {
        StepRunner.Outcome<String> upgrade = steps.run("websocket_upgrade",
                limit -> ServerDialer.upgrade(socket, host, limit), detail -> detail);
        StepRunner.closeQuietly(socket);
        List<StepResult> measured = new ArrayList<>(List.of(upgrade.result()));
        if (upgrade.ok()) {
            measured.add(transfer(host, again));
        }
        return measured;
    }

    /**
     * The timed download: {@link Probe#TRANSFER_BYTES} within {@link Probe#TRANSFER_TIME}. A stall
     * ({@link Probe#STALL} without a byte) or a rate below {@link Probe#MIN_KBPS} is a failure, so
     * that a route which connects but cannot carry data is called throttled.
     */
    private StepResult transfer(String host, Opener again) {
        Duration wanted = steps.stepTimeout().plus(Probe.TRANSFER_TIME);
        StepRunner.Outcome<Optional<Transfer>> outcome = steps.run("transfer", wanted, limit -> {
            long start = System.nanoTime();
            CountingSocket tcp = new CountingSocket();
            try (tcp; SSLSocket socket = again.open(tcp, min(steps.stepTimeout(), limit))) {
                // Ends a little before the step's limit, so the numbers so far are reported, not a timeout.
                Duration left = limit.minusNanos(System.nanoTime() - start).minusMillis(200);
                Duration time = min(Probe.TRANSFER_TIME, left);
                if (time.compareTo(MIN_TRANSFER_TIME) < 0) {
                    return Optional.<Transfer>empty();
                }
                return Optional.of(ServerDialer.download(socket, tcp, host, Probe.TRANSFER_BYTES, time, Probe.STALL));
            } catch (UnexpectedStatusException e) {
                if (e.status() == 404) {
                    return Optional.<Transfer>empty(); // a server from before the probe's download existed
                }
                throw e;
            }
        }, measured -> measured.map(Transfer::describe).orElse(""));
        StepResult result = outcome.result();
        Optional<Transfer> measured = outcome.value().flatMap(t -> t);
        if (!result.ok()) {
            return result;
        }
        if (measured.isEmpty()) {
            return StepResult.skipped("transfer", "not measured: the server offers no timed download, "
                    + "or too little of the probe's time was left");
        }
        Transfer transfer = measured.get();
        if (transfer.stalled() && transfer.receivedBytes() >= Probe.MIN_FROZEN_BYTES) {
            return result.withFailure(Failures.FLOW_FROZEN, "the flow froze after " + transfer.receivedBytes()
                    + " of " + transfer.requestedBytes() + " bytes").withTransfer(transfer);
        }
        if (transfer.stalled()) {
            return result.withFailure(Failures.TIMEOUT, "no data for " + Probe.STALL.toSeconds() + " s after "
                    + transfer.receivedBytes() + " of " + transfer.requestedBytes() + " bytes").withTransfer(transfer);
        }
        if (transfer.kilobitsPerSecond() < Probe.MIN_KBPS) {
            return result.withFailure(Failures.TRANSFER_TOO_SLOW, transfer.describe() + ", below "
                    + Probe.MIN_KBPS + " kbit/s").withTransfer(transfer);
        }
        return result.withTransfer(transfer);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String describe(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
