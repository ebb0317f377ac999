// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.mqtt;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.UserSession;

/**
 * An MQTT broker (Mosquitto, run by {@code bench/peers/mosquitto.sh}) as the relay scenario's
 * peer: each user has its own TLS connection, subscribes to its own topic {@code u/<index>} at QoS 1,
 * and sends by publishing at QoS 1 to the recipient's topic. A send counts as accepted on the
 * broker's PUBACK, an arrival is acknowledged with a PUBACK.
 *
 * <p>All users share one small event loop group: the load tool runs on the same cores as the broker,
 * so it must stay cheap. Close the system to stop those threads.
 */
public final class MqttSystem implements MessagingSystem, AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** Two threads: enough for the load tool's share of two cores, and no thread per user or message. */
    private static final int EVENT_LOOP_THREADS = 2;

    private final InetSocketAddress broker;
    private final List<Long> brokerPids;
    private final String description;
    private final SslContext tls;
    private final EventLoopGroup eventLoops;
    private final Bootstrap bootstrap;
    private volatile int users;

    /**
     * @param broker the broker's TLS listener; must be a loopback address
     * @param caCertificatePem the broker's self-signed certificate, the only one trusted
     * @param brokerPids the broker's processes, for the report's CPU and memory figures
     * @param description how the broker runs, for the report
     */
    public MqttSystem(InetSocketAddress broker, Path caCertificatePem, List<Long> brokerPids, String description)
            throws BenchException {
        if (broker.getAddress() == null || !broker.getAddress().isLoopbackAddress()) {
            throw new BenchException("The MQTT broker must listen on a loopback address.", null);
        }
        if (!Files.isReadable(caCertificatePem)) {
            throw new BenchException("Cannot read the MQTT broker's certificate file " + caCertificatePem + ".", null);
        }
        try {
            this.tls = SslContextBuilder.forClient()
                    .trustManager(caCertificatePem.toFile())
                    .protocols("TLSv1.3", "TLSv1.2")
                    // The certificate must name the address we connect to (its IP subjectAltName).
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (IOException e) {
            throw new BenchException("The MQTT broker's certificate file " + caCertificatePem
                    + " is not a usable PEM certificate: " + e.getMessage(), e);
        }
        this.broker = broker;
        this.brokerPids = List.copyOf(brokerPids);
        this.description = description;
        this.eventLoops = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS,
                new DefaultThreadFactory("bench-mqtt", true), NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap()
                .group(eventLoops)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis());
    }

    /** The topic user {@code user} subscribes to and is sent to. */
    static String topicOf(int user) {
        return "u/" + user;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<Long> serverPids() {
        return brokerPids;
    }

    /**
     * The broker's users are provisioned when it starts (mosquitto.sh start DIR PORT USERS); this
     * only checks, with a real login of the last user, that it was started with enough of them.
     */
    @Override
    public void createUsers(int users) throws BenchException {
        if (users < 1) {
            throw new IllegalArgumentException("users must be at least 1");
        }
        MqttSession.Connected probe = connect(users - 1, Inbox.DISCARD);
        if (probe.code() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            throw new BenchException(refusal(users - 1, probe.code())
                    + " Start the broker with at least " + users + " users: bench/peers/mosquitto.sh start DIR PORT "
                    + users + ".", null);
        }
        probe.session().close();
        this.users = users;
    }

    @Override
    public UserSession logIn(int user, Inbox inbox) throws BenchException {
        if (user < 0 || user >= users) {
            throw new IllegalArgumentException("user " + user + " was not created (" + users + " users)");
        }
        MqttSession.Connected connected = connect(user, inbox);
        if (connected.code() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            throw new BenchException(refusal(user, connected.code()), null);
        }
        // Once the SUBACK is in, the broker routes every later publish to this topic to us: delivery is live.
        connected.session().subscribe(topicOf(user), CONNECT_TIMEOUT);
        return connected.session();
    }

    /**
     * Logs user {@code user} in (CONNECT, clean session) without subscribing. The caller closes the
     * session when the return code is CONNECTION_ACCEPTED; otherwise it is closed already.
     */
    MqttSession.Connected connect(int user, Inbox inbox) throws BenchException {
        return MqttSession.connect(bootstrap, tls, broker, MqttCredentials.ofUser(user), inbox, CONNECT_TIMEOUT);
    }

    private static String refusal(int user, MqttConnectReturnCode code) {
        return "The MQTT broker refused the login of user number " + user + " (" + code + ").";
    }

    /** Stops the event loops; every session still open is closed with them. */
    @Override
    public void close() {
        eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
