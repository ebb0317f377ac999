// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON-RPC daemon: any combination of UNIX socket, TCP and HTTP listeners over one method table and
 * one receive hub, plus stdio for {@code svyaz jsonRpc}. {@link #start} says on its announce stream
 * (stderr: stdout may be the JSON-RPC channel) where it listens; {@link #close} stops all of it and
 * removes the socket file.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final DaemonConfig config;
    private final RpcDispatcher dispatcher;
    private final ReceiveHub hub;
    private final List<AutoCloseable> listeners = new ArrayList<>();
    private Optional<InetSocketAddress> tcpAddress = Optional.empty();
    private Optional<InetSocketAddress> httpAddress = Optional.empty();
    /** Guarded by this: the sessions and port of the listener that serves the web app, once there is one. */
    private AppSessions appSessions;
    private int appPort;

    private Daemon(DaemonConfig config, MethodTable methods, ReceiveHub hub) {
        this.config = config;
        this.dispatcher = new RpcDispatcher(methods);
        this.hub = hub;
    }

    /**
     * Opens the configured listeners, then tells the hub the daemon started (on-start receiving begins).
     * On failure, whatever was opened is closed again.
     */
    public static Daemon start(DaemonConfig config, MethodTable methods, ReceiveHub hub, PrintStream announce)
            throws DaemonStartException {
        if (config.httpTokenFile().isPresent() && config.http().isEmpty()) {
            throw new DaemonStartException("--http-token-file needs --http");
        }
        Daemon daemon = new Daemon(config, methods, hub);
        try {
            daemon.open(announce);
        } catch (DaemonStartException e) {
            daemon.close();
            throw e;
        }
        hub.daemonStarted();
        return daemon;
    }

    private void open(PrintStream announce) throws DaemonStartException {
        PeerLimits limits = config.limits();
        if (config.socket().isPresent()) {
            Path path = config.socket().get().toAbsolutePath();
            ServerSocketChannel channel = bind("UNIX socket " + path, () -> UnixSocketFile.bind(path));
            listen(new SocketListener("unix", channel, () -> UnixSocketFile.remove(path), dispatcher, hub, limits,
                    true));
            announce.println("Listening on UNIX socket " + path);
        }
        if (config.commandSocket().isPresent()) {
            // The same methods for svyaz commands: a command that goes through the daemon must not take
            // (and so lose) the notifications meant for bots.
            Path commands = config.commandSocket().get().toAbsolutePath();
            ServerSocketChannel commandChannel = bind("UNIX socket " + commands, () -> UnixSocketFile.bind(commands));
            listen(new SocketListener("unix-commands", commandChannel, () -> UnixSocketFile.remove(commands),
                    dispatcher, hub, limits, false));
        }
        if (config.tcp().isPresent()) {
            ListenAddress address = config.tcp().get();
            ServerSocketChannel channel = bind("TCP " + address, () -> openTcp(address));
            tcpAddress = Optional.of((InetSocketAddress) channel.socket().getLocalSocketAddress());
            listen(new SocketListener("tcp", channel, () -> { }, dispatcher, hub, limits, true));
            announce.println("Listening on TCP " + new ListenAddress(address.host(), tcpAddress.get().getPort()));
        }
        if (config.http().isPresent()) {
            ListenAddress address = config.http().get();
            Optional<BearerToken> token = config.httpTokenFile().isPresent()
                    ? Optional.of(BearerToken.fromFile(config.httpTokenFile().get()))
                    : Optional.empty();
            HttpTransport http = bind("HTTP " + address, () -> HttpTransport.start(address, token, config.app(),
                    config.appFiles(), dispatcher, hub, limits.maxFrameBytes(), config.heartbeat(), config.clock()));
            listeners.add(http);
            httpAddress = Optional.of(http.address());
            announce.println("Listening on HTTP http://" + new ListenAddress(address.host(), http.address().getPort())
                    + HttpTransport.RPC + (token.isPresent() ? " (bearer token required)" : ""));
        }
    }

    /**
     * Serves JSON-RPC on a pair of streams until {@code in} ends and every call it started has been
     * answered. {@code out} is flushed, not closed.
     */
    public void serveStdio(InputStream in, OutputStream out) {
        new LinePeer("stdio", in, out, out::flush, dispatcher, hub, config.limits(), true).run();
    }

    /**
     * The web app's start URL with a new one-time secret. A daemon that does not serve the app yet opens
     * a listener for it on 127.0.0.1 at a free port first, so {@code svyaz app} can attach to a running
     * daemon, and a second {@code svyaz app} gets a fresh link from the first.
     */
    public synchronized String openApp() throws DaemonStartException {
        if (appSessions == null) {
            if (config.app().isPresent() && httpAddress.isPresent()) {
                appSessions = config.app().get();
                appPort = httpAddress.get().getPort();
            } else {
                AppSessions sessions = new AppSessions(config.clock());
                ListenAddress loopback = new ListenAddress("127.0.0.1", 0);
                HttpTransport http = bind("HTTP " + loopback, () -> HttpTransport.start(loopback, Optional.empty(),
                        Optional.of(sessions), config.appFiles(), dispatcher, hub, config.limits().maxFrameBytes(),
                        config.heartbeat(), config.clock()));
                listeners.add(http);
                appSessions = sessions;
                appPort = http.address().getPort();
            }
        }
        return "http://127.0.0.1:" + appPort + "/#secret=" + appSessions.newSecret();
    }

    /** The command socket that goes with the UNIX socket {@code socket}: its peers get no notifications. */
    public static Path commandSocket(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".commands");
    }

    /** The command socket's path, when there is one. */
    public Optional<Path> commandSocketPath() {
        return config.commandSocket().map(Path::toAbsolutePath);
    }

    /** The UNIX socket path, when listening on one. */
    public Optional<Path> socketPath() {
        return config.socket().map(Path::toAbsolutePath);
    }

    /** The bound TCP address (the real port when 0 was asked for). */
    public Optional<InetSocketAddress> tcpAddress() {
        return tcpAddress;
    }

    /** The bound HTTP address (the real port when 0 was asked for). */
    public Optional<InetSocketAddress> httpAddress() {
        return httpAddress;
    }

    /** Stops every listener and connection; the socket file is removed. */
    @Override
    public synchronized void close() {
        for (AutoCloseable listener : listeners.reversed()) {
            try {
                listener.close();
            } catch (Exception e) {
                log.warn("Closing a listener failed: {}", e.getClass().getName());
            }
        }
        listeners.clear();
    }

    private void listen(SocketListener listener) {
        listeners.add(listener);
        listener.start();
    }

    private static ServerSocketChannel openTcp(ListenAddress address) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            return channel.bind(address.toSocketAddress());
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** Something that binds, and may fail with an I/O error that deserves a sentence. */
    private interface Binding<T> {
        T bind() throws IOException, DaemonStartException;
    }

    private static <T> T bind(String what, Binding<T> binding) throws DaemonStartException {
        try {
            return binding.bind();
        } catch (IOException e) {
            throw new DaemonStartException("cannot listen on " + what + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (UnresolvedAddressException e) {
            throw new DaemonStartException("cannot listen on " + what + ": unknown host", e);
        }
    }
}
