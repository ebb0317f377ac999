// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether an HTTP request may reach the daemon at all. A web page the user visits can make the
 * browser send requests to 127.0.0.1; these checks stop it:
 * <ul>
 *   <li>{@code Host} must name this daemon (its address and port, or a loopback name with the port when
 *       it listens on loopback), so a DNS-rebound name that now points here is refused (403);</li>
 *   <li>an {@code Origin}, which browsers add to scripted requests, must be this daemon's own, so no other
 *       page can drive it (403);</li>
 *   <li>with a token file, {@code Authorization: Bearer <token>} is required (401);</li>
 *   <li>serving the web app, the API takes the app's session cookie or the bearer token (401); the app's
 *       own files and the session exchange need neither.</li>
 * </ul>
 */
final class HttpGuard extends Filter {
    private static final Logger log = LoggerFactory.getLogger(HttpGuard.class);

    private final Set<String> hosts;
    private final Set<String> origins;
    private final Optional<BearerToken> token;
    private final Optional<AppSessions> sessions;

    HttpGuard(Set<String> hosts, Optional<BearerToken> token, Optional<AppSessions> sessions) {
        this.hosts = Set.copyOf(hosts);
        Set<String> ownOrigins = new HashSet<>();
        for (String host : hosts) {
            ownOrigins.add("http://" + host);
        }
        this.origins = Set.copyOf(ownOrigins);
        this.token = token;
        this.sessions = sessions;
    }

    /**
     * The Host values that name a daemon listening on {@code bound}, as asked for with {@code requested}.
     * A wildcard address adds every local interface's address.
     */
    static Set<String> ownHosts(ListenAddress requested, InetSocketAddress bound) throws SocketException {
        int port = bound.getPort();
        Set<InetAddress> addresses = new HashSet<>();
        addresses.add(bound.getAddress());
        Set<String> names = new HashSet<>();
        names.add(requested.host().toLowerCase(Locale.ROOT));
        if (bound.getAddress().isAnyLocalAddress()) {
            for (NetworkInterface networkInterface : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                addresses.addAll(Collections.list(networkInterface.getInetAddresses()));
            }
        }
        if (addresses.stream().anyMatch(InetAddress::isLoopbackAddress)) {
            names.add("localhost");
            names.add("127.0.0.1");
            names.add("::1");
        }
        for (InetAddress address : addresses) {
            // Scope ids (fe80::1%eth0) never appear in a Host header.
            names.add(address.getHostAddress().replaceFirst("%.*$", "").toLowerCase(Locale.ROOT));
        }
        Set<String> hosts = new HashSet<>();
        for (String name : names) {
            String host = name.contains(":") ? "[" + name + "]" : name;
            hosts.add(host + ":" + port);
            if (port == 80) {
                hosts.add(host);
            }
        }
        return hosts;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null || !hosts.contains(host.strip().toLowerCase(Locale.ROOT))) {
            refuse(exchange, 403, "Host is not this daemon");
            return;
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !origins.contains(origin.strip().toLowerCase(Locale.ROOT))) {
            refuse(exchange, 403, "Origin is not this daemon");
            return;
        }
        boolean bearer = token.isPresent() && token.get().matches(exchange.getRequestHeaders().getFirst("Authorization"));
        if (sessions.isPresent()) {
            String path = exchange.getRequestURI().getPath();
            boolean api = path.equals(HttpTransport.RPC) || path.equals(HttpTransport.EVENTS)
                    || path.equals(AppFileHandler.UPLOAD) || path.startsWith(AppFileHandler.ATTACHMENTS);
            if (api && !bearer && !sessions.get().authorizes(exchange.getRequestHeaders().getFirst("Cookie"))) {
                refuse(exchange, 401, "no session; open the link that svyaz app printed");
                return;
            }
        } else if (token.isPresent() && !bearer) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            refuse(exchange, 401, "missing or wrong bearer token");
            return;
        }
        chain.doFilter(exchange);
    }

    @Override
    public String description() {
        return "Host, Origin and bearer token checks";
    }

    private static void refuse(HttpExchange exchange, int status, String reason) throws IOException {
        // The reason only: the header values could be anything a page chose to send.
        log.info("HTTP request refused ({}): {}", status, reason);
        HttpReplies.text(exchange, status, reason);
    }
}
