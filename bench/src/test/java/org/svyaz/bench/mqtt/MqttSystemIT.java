// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.DeliveryLedger;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.RelayBenchmark;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.RelayReport;
import org.svyaz.bench.relay.UserSession;
import org.svyaz.bench.relay.WrappedSystem;

/**
 * The MQTT driver against a real Mosquitto started by bench/peers/mosquitto.sh: a healthy broker
 * balances to the message, what the broker really drops is counted lost, and a broker started with
 * too few users is reported clearly.
 */
class MqttSystemIT {
    private static final int USERS = 10;
    private static final int MESSAGES = 200;

    @TempDir
    Path brokerDir;

    private MosquittoPeer broker;

    @AfterEach
    void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static RelayReport run(MessagingSystem system, int users, int messages, int window, Duration drainTimeout)
            throws BenchException {
        RelayOptions options = new RelayOptions(users, messages, 256, window, drainTimeout, 42);
        return new RelayBenchmark(system, options, line -> {}).run();
    }

    @Test
    void aHealthyBrokerDeliversExactlyWhatWasSentOnce() throws Exception {
        broker = MosquittoPeer.start(brokerDir, USERS);
        try (MqttSystem system = broker.system()) {
            RelayReport report = run(system, USERS, MESSAGES, 4, Duration.ofSeconds(30));

            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                    0, 0, 0, 0, 0));
            assertThat(report.latency().count()).isEqualTo(MESSAGES);
            assertThat(report.rejections()).isEmpty();
            assertThat(report.notes()).isEmpty();
            assertThat(report.serverUsage()).isNotNull(); // the broker is a process of its own
        }
    }

    /**
     * More sends on one connection than there are MQTT packet ids (65,535), many in flight at once:
     * the ids wrap around without ever being 0 or reused while still in flight.
     */
    @Test
    void packetIdsWrapAroundWithoutLosingOrConfusingSends() throws Exception {
        broker = MosquittoPeer.start(brokerDir, 2);
        int messages = 2 * 70_000;
        try (MqttSystem system = broker.system()) {
            RelayReport report = run(system, 2, messages, 200, Duration.ofSeconds(30));

            // Once seen failing under a loaded CI run (a connection dropped mid-run): say why next time.
            assertThat(report.ledger()).as("notes %s; broker log: %s", report.notes(), brokerLog()).isEqualTo(new DeliveryLedger.Summary(messages, messages, 0, 0, messages,
                    0, 0, 0, 0, 0));
        }
    }

    /**
     * A real fault: once user VICTIM has logged in, a second client logs in with the same client id
     * and a clean session and subscribes to nothing. Mosquitto closes the victim's connection and
     * from then on acknowledges every publish to the victim's topic and drops it, since nobody
     * subscribes. The tool must count those as accepted and lost, to the message, and the victim's
     * own sends as refused (CONNECTION).
     */
    @Test
    void messagesTheBrokerAcknowledgesButDropsAreCountedLost() throws Exception {
        broker = MosquittoPeer.start(brokerDir, USERS);
        try (MqttSystem system = broker.system()) {
            TakenOverVictim faulty = new TakenOverVictim(system, 3);
            RelayReport report;
            try {
                report = run(faulty, USERS, MESSAGES, 4, Duration.ofSeconds(3));
            } finally {
                faulty.closeTakeover();
            }

            long victimQuota = new RelayOptions(USERS, MESSAGES, 256, 4, Duration.ofSeconds(3), 42).quotas()[3];
            long droppedByBroker = faulty.acceptedForVictim.sum();
            assertThat(droppedByBroker).isPositive();
            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES - victimQuota,
                    victimQuota, 0, MESSAGES - victimQuota - droppedByBroker, 0, droppedByBroker, 0, 0, 0));
            assertThat(report.rejections()).isEqualTo(Map.of("CONNECTION", victimQuota));
            assertThat(report.notes()).anyMatch(note -> note.contains("1 connection(s) closed"));
            assertThat(report.notes()).anyMatch(note -> note.contains("drain timeout"));
        }
    }

    @Test
    void aBrokerWithTooFewUsersIsReportedClearly() throws Exception {
        broker = MosquittoPeer.start(brokerDir, 3);
        try (MqttSystem system = broker.system()) {
            assertThatThrownBy(() -> system.createUsers(5))
                    .isInstanceOf(BenchException.class)
                    .hasMessageContaining("refused the login of user number 4")
                    .hasMessageContaining("Start the broker with at least 5 users")
                    .hasMessageContaining("mosquitto.sh start DIR PORT 5");

            system.createUsers(3); // the users it has are fine
        }
    }

    /** The driver trusts only the certificate it is given: another broker's certificate fails the handshake. */
    @Test
    void aBrokerWithAnotherCertificateIsNotTrusted(@TempDir Path otherBrokerDir) throws Exception {
        broker = MosquittoPeer.start(brokerDir, 1);
        try (MosquittoPeer other = MosquittoPeer.start(otherBrokerDir, 1);
             MqttSystem system = new MqttSystem(broker.address(), other.certificate(), List.of(), "wrong certificate")) {
            assertThatThrownBy(() -> system.createUsers(1))
                    .isInstanceOf(BenchException.class)
                    .hasMessageContaining("closed before the CONNACK")
                    .hasMessageContaining("SSLHandshakeException");
        }
    }

    /**
     * Mosquitto with the users' MessagingSystem, except that right after user {@code victim} logged
     * in, a second connection takes its client id over. Counts the sends to the victim that the broker
     * acknowledged: exactly those are dropped.
     */
    private static final class TakenOverVictim extends WrappedSystem {
        private final MqttSystem mqtt;
        private final int victim;
        final LongAdder acceptedForVictim = new LongAdder();
        private volatile MqttSession takeover;

        TakenOverVictim(MqttSystem mqtt, int victim) {
            super(mqtt);
            this.mqtt = mqtt;
            this.victim = victim;
        }

        @Override
        public UserSession logIn(int user, Inbox inbox) throws BenchException {
            UserSession session = mqtt.logIn(user, inbox);
            if (user == victim) {
                MqttSession.Connected second = mqtt.connect(user, Inbox.DISCARD);
                assertThat(second.code()).isEqualTo(MqttConnectReturnCode.CONNECTION_ACCEPTED);
                takeover = second.session();
                awaitClosed(session);
            }
            return new CountingSession(session);
        }

        void closeTakeover() {
            if (takeover != null) {
                takeover.close();
            }
        }

        private static void awaitClosed(UserSession session) throws BenchException {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (session.isOpen()) {
                if (System.nanoTime() > deadline) {
                    throw new BenchException("Mosquitto did not close the taken-over connection within 10 s.", null);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BenchException("Interrupted.", e);
                }
            }
        }

        private final class CountingSession implements UserSession {
            private final UserSession session;

            CountingSession(UserSession session) {
                this.session = session;
            }

            @Override
            public CompletableFuture<Void> send(int recipient, byte[] blob) {
                return session.send(recipient, blob).whenComplete((ignored, failure) -> {
                    if (failure == null && recipient == victim) {
                        acceptedForVictim.increment();
                    }
                });
            }

            @Override
            public boolean isOpen() {
                return session.isOpen();
            }

            @Override
            public void close() {
                session.close();
            }
        }
    }

    private String brokerLog() {
        try {
            return Files.readString(brokerDir.resolve("mosquitto.log"));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
