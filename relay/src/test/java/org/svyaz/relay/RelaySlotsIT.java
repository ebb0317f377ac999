// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.RelayLink;

/**
 * Attacks on the relay's connection slots and memory (issue #16, point 3), over real TCP and TLS on
 * loopback: idle connections that would hold every slot, one address that would hold many, idle
 * visitors of the decoy site, and requests sent without ever reading the answers.
 */
class RelaySlotsIT {
    private static final byte[] SERVER_IDENTITY_KEY = new byte[33];
    private static final byte[] PAYLOAD = "through the tunnel\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path temp;

    private RelayConfig config(InetSocketAddress upstream, int maxConnections) {
        return new RelayConfig(temp.resolve("relay"), new InetSocketAddress("127.0.0.1", 0), upstream,
                "kotiki-daily.example", Optional.empty(), maxConnections, Duration.ofMinutes(2));
    }

    @Test
    void idleConnectionsFromManyAddressesCannotLockAClientOut() throws Exception {
        int slots = 20;
        List<Socket> idle = new ArrayList<>();
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = RelayServer.start(config(upstream.address(), slots))) {
            // Every slot taken by a connection that never says anything, each from its own address.
            for (int i = 0; i < slots; i++) {
                idle.add(connectFrom("127.0.0." + (10 + i), relay.address()));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.connectionsOpen() == slots);

            RelayLink link = relay.link("127.0.0.1", relay.address().getPort(), SERVER_IDENTITY_KEY);
            assertThat(tunnelEchoes(relay.address(), link)).as("a client gets through a full relay").isTrue();
            assertThat(relay.connectionsOpen()).isLessThanOrEqualTo(slots);
            // Connections are admitted on several event loops, so which one counts as the oldest is not
            // the order of connect() here; one of them gave way.
            assertThat(closedCount(idle)).as("idle connections that gave way").isEqualTo(1);
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    @Test
    void oneAddressHoldsOnlyItsShareAndPushesOutOnlyItsOwn() throws Exception {
        int share = 5;
        List<Socket> mine = new ArrayList<>();
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = RelayServer.start(config(upstream.address(), 100)
                     .withoutTokenLimits(share, RelayConfig.DEFAULT_DECOY_IDLE_TIMEOUT));
             Socket neighbour = connectFrom("127.0.0.3", relay.address())) {
            for (int i = 0; i < share + 3; i++) {
                mine.add(connectFrom("127.0.0.2", relay.address()));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.connectionsOpen() == share + 1);
            assertThat(closedCount(mine)).as("the prober's connections that gave way").isEqualTo(3);
            assertThat(neighbour.isClosed() || closedByPeer(neighbour)).as("the neighbour's connection").isFalse();
        } finally {
            for (Socket socket : mine) {
                socket.close();
            }
        }
    }

    @Test
    void anIdleVisitorOfTheSiteIsClosedLongBeforeAnIdleTunnel() throws Exception {
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = RelayServer.start(config(upstream.address(), 100)
                     .withoutTokenLimits(RelayConfig.DEFAULT_MAX_WITHOUT_TOKEN_PER_ADDRESS, Duration.ofSeconds(1)));
             SSLSocket tunnel = RelayServerIT.connect(relay.address());
             SSLSocket visitor = RelayServerIT.connect(relay.address())) {
            RelayLink link = relay.link("127.0.0.1", relay.address().getPort(), SERVER_IDENTITY_KEY);
            tunnel.getOutputStream().write(link.token());
            tunnel.getOutputStream().flush();
            visitor.getOutputStream().write("GET / HTTP/1.1\r\nHost: kotiki-daily.example\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            visitor.getOutputStream().flush();
            assertThat(new String(visitor.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
                    .isEqualTo("HTTP/1.1 200");

            await().atMost(Duration.ofSeconds(30)).until(() -> closedByPeer(visitor));
            // The tunnel was as idle as the visitor, for as long, and still carries bytes.
            tunnel.getOutputStream().write(PAYLOAD);
            tunnel.getOutputStream().flush();
            assertThat(tunnel.getInputStream().readNBytes(PAYLOAD.length)).isEqualTo(PAYLOAD);
        }
    }

    @Test
    void requestsWhoseAnswersAreNeverReadAreNotHeldInMemory() throws Exception {
        byte[] request = "GET /nothing-here HTTP/1.1\r\nHost: kotiki-daily.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        int requests = 400_000;
        AtomicLong written = new AtomicLong();
        try (RelayServerIT.EchoServer upstream = new RelayServerIT.EchoServer();
             RelayServer relay = RelayServer.start(config(upstream.address(), 100))) {
            // TLS over a socket of our own, so that closing it at the end does not wait for the writer.
            Socket raw = new Socket();
            raw.connect(relay.address(), 10_000);
            SSLSocket visitor = (SSLSocket) RelayServerIT.trustAll().getSocketFactory()
                    .createSocket(raw, "127.0.0.1", relay.address().getPort(), true);
            visitor.startHandshake();
            // Pipelined requests, as fast as the relay takes them; the answers are never read.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = visitor.getOutputStream();
                    byte[] batch = new byte[request.length * 1000];
                    for (int i = 0; i < 1000; i++) {
                        System.arraycopy(request, 0, batch, i * request.length, request.length);
                    }
                    for (int sent = 0; sent < requests; sent += 1000) {
                        out.write(batch);
                        written.addAndGet(batch.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    // Closed below, while blocked because the relay stopped reading: as intended.
                }
            });
            // Until the writer is done or the relay stops taking its bytes for a second.
            long seen = -1;
            for (int i = 0; i < 30 && writer.isAlive() && written.get() != seen; i++) {
                seen = written.get();
                writer.join(Duration.ofSeconds(1));
            }
            long waiting = relay.bytesWaitingToBeSent();
            raw.close();
            writer.join(Duration.ofSeconds(10));
            // The relay stops taking requests once its answers are not taken: the writer stalls long
            // before all are sent (between 4 and 6 MB here, kernel buffers included), and what the
            // relay holds stays a few MB (0.2-3.5 MB seen) instead of all the answers (about 100 MB).
            long offered = (long) requests * request.length;
            assertThat(written.get()).as("bytes of requests the relay took of %d offered", offered).isLessThan(offered);
            assertThat(waiting).as("bytes the relay holds for a visitor who does not read, after %d bytes of requests",
                    written.get()).isLessThan(8L * 1024 * 1024);
        }
    }

    /** A plain TCP connection from {@code local} (any 127/8 address works on loopback) that says nothing. */
    private static Socket connectFrom(String local, InetSocketAddress relay) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        socket.connect(relay, 10_000);
        return socket;
    }

    /**
     * Whether the relay closed {@code socket}: reading what is left ends (or fails) instead of
     * waiting. Bytes still unread (the rest of an answer) are read and dropped on the way.
     */
    private static boolean closedByPeer(Socket socket) throws IOException {
        socket.setSoTimeout(200);
        try {
            InputStream in = socket.getInputStream();
            byte[] rest = new byte[16 * 1024];
            for (int i = 0; i < 1000; i++) {
                if (in.read(rest) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static long closedCount(List<Socket> sockets) throws IOException {
        long closed = 0;
        for (Socket socket : sockets) {
            closed += closedByPeer(socket) ? 1 : 0;
        }
        return closed;
    }

    /** Whether a client with the link's token gets its bytes echoed by the upstream through the relay. */
    private static boolean tunnelEchoes(InetSocketAddress relay, RelayLink link) {
        try (SSLSocket socket = RelayServerIT.connect(relay)) {
            OutputStream out = socket.getOutputStream();
            out.write(link.token());
            out.write(PAYLOAD);
            out.flush();
            return Arrays.equals(socket.getInputStream().readNBytes(PAYLOAD.length), PAYLOAD);
        } catch (Exception e) {
            return false;
        }
    }
}
