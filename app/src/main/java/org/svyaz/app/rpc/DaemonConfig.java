// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which listeners {@link Daemon} opens, and their limits. Start from {@link #none()} and add:
 * {@code DaemonConfig.none().withSocket(path).withTcp(ListenAddress.DEFAULT_TCP)}.
 *
 * @param socket a UNIX socket path ({@code --socket})
 * @param commandSocket a UNIX socket for svyaz commands: the same methods, but its peers never get
 *     notifications (a command must not take the messages meant for bots)
 * @param tcp a TCP address ({@code --tcp})
 * @param http an HTTP address ({@code --http})
 * @param httpTokenFile a file holding the bearer token HTTP requests must carry ({@code --http-token-file})
 * @param app the web app's sessions, when HTTP serves the web app too ({@code svyaz app})
 * @param appFiles the web app's uploads and received files, when the daemon serves accounts
 * @param limits per connection, and the HTTP body limit
 * @param heartbeat how often an idle event stream gets a comment line, so proxies keep it open
 * @param clock numbers the HTTP events
 */
public record DaemonConfig(Optional<Path> socket, Optional<Path> commandSocket, Optional<ListenAddress> tcp,
        Optional<ListenAddress> http, Optional<Path> httpTokenFile, Optional<AppSessions> app,
        Optional<AppFiles> appFiles, PeerLimits limits, Duration heartbeat, Clock clock) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

    public DaemonConfig {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(commandSocket, "commandSocket");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(httpTokenFile, "httpTokenFile");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(appFiles, "appFiles");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(clock, "clock");
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive");
        }
    }

    /** No listener: only {@link Daemon#serveStdio}, as {@code svyaz jsonRpc} uses it. */
    public static DaemonConfig none() {
        return new DaemonConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), PeerLimits.DEFAULT, DEFAULT_HEARTBEAT,
                Clock.systemUTC());
    }

    /**
     * Where {@code --socket} without a path listens: {@code $XDG_RUNTIME_DIR/svyaz/socket} (a per-user
     * folder that only its owner can enter), else {@code <data dir>/socket}.
     */
    public static Path defaultSocketPath(Map<String, String> environment, Path dataDir) {
        String runtime = environment.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank()) {
            return Path.of(runtime, "svyaz", "socket");
        }
        return dataDir.resolve("socket");
    }

    public DaemonConfig withSocket(Path path) {
        return new DaemonConfig(Optional.of(path), commandSocket, tcp, http, httpTokenFile, app,
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withCommandSocket(Path path) {
        return new DaemonConfig(socket, Optional.of(path), tcp, http, httpTokenFile, app,
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withTcp(ListenAddress address) {
        return new DaemonConfig(socket, commandSocket, Optional.of(address), http, httpTokenFile, app,
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withHttp(ListenAddress address) {
        return new DaemonConfig(socket, commandSocket, tcp, Optional.of(address), httpTokenFile, app,
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withHttpTokenFile(Path file) {
        return new DaemonConfig(socket, commandSocket, tcp, http, Optional.of(file), app,
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withApp(AppSessions sessions) {
        return new DaemonConfig(socket, commandSocket, tcp, http, httpTokenFile, Optional.of(sessions),
                appFiles, limits, heartbeat, clock);
    }

    public DaemonConfig withAppFiles(AppFiles files) {
        return new DaemonConfig(socket, commandSocket, tcp, http, httpTokenFile, app,
                Optional.of(files), limits, heartbeat, clock);
    }

    public DaemonConfig withLimits(PeerLimits newLimits) {
        return new DaemonConfig(socket, commandSocket, tcp, http, httpTokenFile, app,
                appFiles, newLimits, heartbeat, clock);
    }

    public DaemonConfig withHeartbeat(Duration interval) {
        return new DaemonConfig(socket, commandSocket, tcp, http, httpTokenFile, app,
                appFiles, limits, interval, clock);
    }

    public DaemonConfig withClock(Clock newClock) {
        return new DaemonConfig(socket, commandSocket, tcp, http, httpTokenFile, app,
                appFiles, limits, heartbeat, newClock);
    }
}
