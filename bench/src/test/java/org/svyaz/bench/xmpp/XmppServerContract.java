// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.DeliveryLedger;
import org.svyaz.bench.relay.DrainBenchmark;
import org.svyaz.bench.relay.DrainOptions;
import org.svyaz.bench.relay.DrainReport;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.UserSession;
import org.svyaz.bench.relay.WrappedSystem;

/**
 * What the XMPP driver must do against every real XMPP server: carry exactly what was sent, once,
 * and count what the server really does when it refuses something. Subclasses name the server's
 * script in bench/peers.
 */
abstract class XmppServerContract {
    private static final int USERS = 10;
    private static final int MESSAGES = 200;
    /** A user index never registered: messages to it are bounced by the server. */
    private static final int NOBODY = 1000;

    @TempDir
    Path dir;

    private PeerServer server;
    private XmppSystem system;

    /** The script's name in bench/peers, without ".sh". */
    abstract String serverName();

    @BeforeEach
    void startServer() throws Exception {
        server = PeerServer.start(serverName(), dir);
        system = new XmppSystem(server.address(), PeerServer.DOMAIN, server.certificate(), List.of(server.pid()),
                serverName());
    }

    @AfterEach
    void stopServer() throws Exception {
        try {
            if (system != null) {
                system.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private static RelayOptions options() {
        return new RelayOptions(USERS, MESSAGES, 256, 4, Duration.ofSeconds(30), 42);
    }

    @Test
    void theServerDeliversExactlyWhatWasSentOnce() throws Exception {
        RelayReport report = new RelayBenchmark(system, options(), line -> { }).run();

        assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                0, 0, 0, 0, 0));
        assertThat(report.latency().count()).isEqualTo(MESSAGES);
        assertThat(report.rejections()).isEmpty();
        assertThat(report.notes()).isEmpty();
        assertThat(report.serverUsage()).isNotNull(); // the server's pid is readable in /proc
    }

    @Test
    void messagesStoredWhileTheRecipientsWereOfflineArriveOnceWhenTheyLogIn() throws Exception {
        // Scenario (b): the server's offline storage keeps them; the first login gets them.
        DrainOptions options = new DrainOptions(USERS, 2, MESSAGES, 256, 4, 4, Duration.ofSeconds(30), 7);
        DrainReport report = new DrainBenchmark(system, options, line -> { }).run();

        assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                0, 0, 0, 0, 0));
        assertThat(report.notes()).as("nothing may arrive before the recipients log in").isEmpty();
        assertThat(report.serverCpuSeconds()).isNotNull();
    }

    @Test
    void messagesToAUserWhoDoesNotExistAreBouncedAndCountedRejected() throws Exception {
        // Every message meant for user 9 goes to an account that was never registered instead; the
        // server bounces each with <message type='error'>, after its stream management ack.
        AtomicLong redirected = new AtomicLong();
        MessagingSystem misaddressing = new Misaddressing(system, USERS - 1, redirected);

        RelayReport report = new RelayBenchmark(misaddressing, options(), line -> { }).run();

        long bounced = redirected.get();
        assertThat(bounced).isPositive();
        assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES - bounced, bounced, 0,
                MESSAGES - bounced, 0, 0, 0, 0, 0));
        assertThat(report.rejections()).isEqualTo(Map.of("service-unavailable", bounced));
    }

    @Test
    void aWrongPasswordIsAClearFailure() throws Exception {
        system.createUsers(2);

        assertThatThrownBy(() -> system.logIn(0, "not-the-password", Inbox.DISCARD).close())
                .isInstanceOf(BenchException.class)
                .hasMessageContaining("refused a bench user's password")
                .hasMessageContaining("not-authorized");
        // The right password still works on the same server.
        try (UserSession session = system.logIn(0, Inbox.DISCARD)) {
            assertThat(session.isOpen()).isTrue();
        }
    }

    /** The real system, except that sends to {@code victim} are addressed to a user who does not exist. */
    private static final class Misaddressing extends WrappedSystem {
        private final int victim;
        private final AtomicLong redirected;

        Misaddressing(XmppSystem system, int victim, AtomicLong redirected) {
            super(system);
            this.victim = victim;
            this.redirected = redirected;
        }

        @Override
        public UserSession logIn(int user, Inbox inbox) throws BenchException {
            UserSession session = system().logIn(user, inbox);
            return new UserSession() {
                @Override
                public CompletableFuture<Void> send(int recipient, byte[] blob) {
                    if (recipient != victim) {
                        return session.send(recipient, blob);
                    }
                    redirected.incrementAndGet();
                    return session.send(NOBODY, blob);
                }

                @Override
                public boolean isOpen() {
                    return session.isOpen();
                }

                @Override
                public void close() {
                    session.close();
                }
            };
        }
    }
}
