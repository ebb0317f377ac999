// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.UserSession;

/**
 * An XMPP server (ejabberd, Prosody) under the relay scenario: user i is {@code u<i>@domain} with
 * the password {@link #password(int)}, each on its own STARTTLS connection with stream management
 * (XEP-0198). A message is a one-to-one {@code <message type='chat'>} whose body is the blob in
 * base64; a send is taken once the server's SM ack covers it (see {@link XmppConnection}). All
 * connections share one small Netty event loop group, so the load tool stays light on the cores it
 * shares with the server.
 */
public final class XmppSystem implements MessagingSystem, AutoCloseable {
    private static final int EVENT_LOOP_THREADS = 2;
    /** Registrations in flight at once: each is its own TLS connection. */
    private static final int PARALLEL_REGISTRATIONS = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final InetSocketAddress server;
    private final String domain;
    private final List<Long> serverPids;
    private final String description;
    private final SslContext tls;
    private final EventLoopGroup group;

    /**
     * @param server the c2s listener (loopback)
     * @param domain the XMPP domain, also the name the server's certificate must carry
     * @param caCertificatePem the server's self-signed certificate: the only one trusted
     * @param serverPids the server processes to measure through /proc
     * @param description how the server runs, for the report
     */
    public XmppSystem(InetSocketAddress server, String domain, Path caCertificatePem, List<Long> serverPids,
                      String description) throws BenchException {
        this.server = server;
        this.domain = domain;
        this.serverPids = List.copyOf(serverPids);
        this.description = description;
        try {
            this.tls = SslContextBuilder.forClient()
                    .trustManager(caCertificatePem.toFile())
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (IOException | IllegalArgumentException e) {
            throw new BenchException("The XMPP server's certificate could not be loaded from " + caCertificatePem
                    + ": " + e.getMessage(), e);
        }
        this.group = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, new DefaultThreadFactory("bench-xmpp", true),
                NioIoHandler.newFactory());
    }

    static String username(int user) {
        return "u" + user;
    }

    /** The deterministic password of user {@code user}: runs can reuse accounts made earlier. */
    static String password(int user) {
        return "bench-" + user;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<Long> serverPids() {
        return serverPids;
    }

    /** Registers users 0 to {@code users} - 1 in-band (XEP-0077); an account that exists already is fine. */
    @Override
    public void createUsers(int users) throws BenchException {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_REGISTRATIONS,
                Thread.ofPlatform().name("bench-xmpp-register-", 0).daemon(true).factory());
        try {
            List<Future<Void>> registrations = new ArrayList<>(users);
            for (int user = 0; user < users; user++) {
                int index = user;
                registrations.add(pool.submit(() -> {
                    XmppConnection registration = open(XmppConnection.Goal.REGISTER, index, password(index),
                            Inbox.DISCARD);
                    try {
                        await(registration, "register a user");
                    } finally {
                        registration.close();
                    }
                    return null;
                }));
            }
            for (Future<Void> registration : registrations) {
                registration.get(TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BenchException failure ? failure
                    : new BenchException("Registering the users failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new BenchException("Registering a user took longer than " + TIMEOUT.toSeconds() * 2 + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while registering users.", e);
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    public UserSession logIn(int user, Inbox inbox) throws BenchException {
        return logIn(user, password(user), inbox);
    }

    /** Logs in with the given password; the tests use a wrong one. */
    UserSession logIn(int user, String password, Inbox inbox) throws BenchException {
        XmppConnection session = open(XmppConnection.Goal.LOG_IN, user, password, inbox);
        try {
            await(session, "log a user in");
            return session;
        } catch (BenchException e) {
            session.close();
            throw e;
        }
    }

    private XmppConnection open(XmppConnection.Goal goal, int user, String password, Inbox inbox)
            throws BenchException {
        XmppConnection connection = new XmppConnection(goal, domain, username(user), password, tls, inbox);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TIMEOUT.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast("xml", connection.reader());
                        channel.pipeline().addLast("xmpp", connection);
                    }
                });
        ChannelFuture connected = bootstrap.connect(server);
        if (!connected.awaitUninterruptibly(TIMEOUT.toMillis()) || !connected.isSuccess()) {
            connected.channel().close();
            throw new BenchException("Could not connect to the XMPP server at " + server + ".", connected.cause());
        }
        return connection;
    }

    private static void await(XmppConnection connection, String what) throws BenchException {
        try {
            connection.ready().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BenchException failure ? failure
                    : new BenchException("Could not " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new BenchException("The XMPP server did not let us " + what + " within " + TIMEOUT.toSeconds()
                    + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while waiting to " + what + ".", e);
        }
    }

    /** Shuts the event loops down, which closes every connection still open; bounded. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
