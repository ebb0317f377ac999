// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.server.SvyazServer;

/**
 * Scenario (c) against a real server in this JVM: every connection asked for is held, from the
 * source addresses it was given, and logging in stops at the first failure with what came up
 * still measured and then closed.
 */
class IdleBenchmarkIT {
    @TempDir
    Path data;

    @Test
    void everyConnectionIsHeldIdleFromItsSourceAddress() throws Exception {
        InetAddress second = InetAddress.getByName("127.0.0.2");
        InetAddress third = InetAddress.getByName("127.0.0.3");
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data));
             SvyazSystem system = SvyazSystem.forIdleConnections(ServerUnderTest.inProcess(server.inviteLink()),
                     List.of(second, third), Duration.ofSeconds(60))) {
            int port = server.inviteLink().descriptor().getEndpoints(0).getPort();
            Map<String, Long> whileIdle = new ConcurrentHashMap<>();
            IdleReport report = new IdleBenchmark(system, new IdleOptions(6, 3, Duration.ofSeconds(1)), line -> {
                if (line.contains("idle for")) {
                    whileIdle.putAll(establishedBySource(port));
                }
            }).run();

            assertThat(report.held()).isEqualTo(6);
            assertThat(report.loginFailure()).isNull();
            assertThat(report.notes()).isEmpty();
            // Users 0, 2, 4 from the first address, 1, 3, 5 from the second.
            assertThat(whileIdle).containsEntry("127.0.0.2", 3L).containsEntry("127.0.0.3", 3L);
            // In-process: the server's memory would include the load tool's.
            assertThat(report.serverRssPerConnection()).isNull();
            assertThat(ReportFormat.table(report)).contains("connections asked / held", "6 / 6");
            assertThat(ReportFormat.json(report)).contains("\"held\":6");
            // Logged out afterwards: nothing left from either source address.
            assertThat(establishedBySource(port)).doesNotContainKeys("127.0.0.2", "127.0.0.3");
        }
    }

    @Test
    void loggingInStopsAtTheFirstFailureAndWhatCameUpIsMeasuredThenClosed() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data));
             SvyazSystem svyaz = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()))) {
            RefusingFromUser system = new RefusingFromUser(svyaz, 4);
            IdleReport report = new IdleBenchmark(system, new IdleOptions(10, 1, Duration.ZERO), line -> {}).run();

            assertThat(report.held()).isEqualTo(4);
            assertThat(report.loginFailure()).isEqualTo("no more connections after 4");
            assertThat(ReportFormat.table(report)).contains("logging in stopped", "no more connections after 4");
            assertThat(system.sessions).hasSize(4).noneMatch(UserSession::isOpen);
        }
    }

    /**
     * ESTABLISHED connections to {@code port} from IPv4 addresses, counted by source address, from
     * /proc/net/tcp and /proc/net/tcp6 (Java's sockets are dual-stack, so IPv4 shows as ::ffff:a.b.c.d).
     */
    private static Map<String, Long> establishedBySource(int port) {
        Map<String, Long> counts = new ConcurrentHashMap<>();
        String remotePort = String.format(Locale.ROOT, ":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(table));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                String local = fields[1].substring(0, fields[1].indexOf(':'));
                boolean ipv4 = local.length() == 8 || local.startsWith("0000000000000000FFFF0000");
                if (ipv4 && fields[2].endsWith(remotePort) && fields[3].equals("01")) {
                    counts.merge(ipv4(local.substring(local.length() - 8)), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    /** /proc/net/tcp writes an IPv4 address as 8 hex digits in host (little-endian) order. */
    private static String ipv4(String hex) {
        long value = Long.parseLong(hex, 16);
        return (value & 0xff) + "." + ((value >> 8) & 0xff) + "." + ((value >> 16) & 0xff) + "." + ((value >> 24) & 0xff);
    }

    /** Svyaz, except that users from {@code firstRefused} on cannot log in, as when the machine is full. */
    private static final class RefusingFromUser extends WrappedSystem {
        private final int firstRefused;
        final List<UserSession> sessions = new ArrayList<>();

        RefusingFromUser(MessagingSystem system, int firstRefused) {
            super(system);
            this.firstRefused = firstRefused;
        }

        @Override
        public synchronized UserSession logIn(int user, Inbox inbox) throws BenchException {
            if (user >= firstRefused) {
                throw new BenchException("no more connections after " + firstRefused, null);
            }
            UserSession session = system().logIn(user, inbox);
            sessions.add(session);
            return session;
        }
    }
}
