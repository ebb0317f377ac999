// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.netty.handler.ssl.SslContext;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Races every route to the server (happy eyeballs over addresses, names, DNS over HTTPS and
 * relays) and hands back the first {@link ServerConnection} that completes its WebSocket
 * handshake. The route that won last time on this network starts first, with a head start.
 */
final class RouteRace {
    /** Delay between starting one route and the next (happy-eyeballs style). */
    static final Duration STAGGER = Duration.ofMillis(250);
    /**
     * Relays are the last resort (they cost their operator bandwidth and add a hop): one starts
     * only after this long, or once every route started before it has failed.
     */
    static final Duration RELAY_GRACE = Duration.ofSeconds(1);
    /**
     * How long the route that won last time on this network (or that the probe recommended) has to
     * itself before the others start, unless it fails sooner. A quarter second is less than a cold
     * start's first TLS handshake, so a route that opens but then stalls (throttled) would often win
     * the race against the remembered one and undo the probe's advice.
     */
    static final Duration PREFERRED_HEAD_START = Duration.ofSeconds(2);

    private RouteRace() {}

    /** Races the routes of {@code link} and {@code relays} (only the relays with {@code relaysOnly}). */
    static ServerConnection connect(InviteLink link, List<RelayLink> relays, Optional<String> preferred,
                                    boolean relaysOnly, Optional<DeviceCredentials> credentials,
                                    PushHandler pushHandler, Duration timeout) throws ConnectionException {
        SslContext ssl = ServerConnection.serverContext(link);
        if (relaysOnly) {
            if (relays.isEmpty()) {
                throw new ConnectionException("This account uses relays only, and it knows no relay: add one with "
                        + "'svyaz addRelay LINK' or allow direct routes with 'svyaz updateAccount --relays-only false'.", null);
            }
            List<Route> routes = Routes.preferredFirst(Routes.of(link, relays).stream()
                    .filter(r -> r.kind() == RouteKind.RELAY).toList(), preferred);
            Dialer dialer = new Dialer(ssl, link, credentials, pushHandler, timeout, Map.of(), new UpgradeTurn());
            return dialer.race(routes, "Cannot reach the server through any of its " + relays.size() + " relay(s)",
                    headStart(routes, preferred));
        }
        List<Route> routes = Routes.preferredFirst(Routes.of(link, relays), preferred);
        Dialer dialer = new Dialer(ssl, link, credentials, pushHandler, timeout, lookUpEarly(link, timeout), new UpgradeTurn());
        return dialer.race(routes, "Cannot reach the server at any of its " + link.descriptor().getEndpointsCount()
                + " addresses" + (relays.isEmpty() ? "" : " or " + relays.size() + " relay(s)"), headStart(routes, preferred));
    }

    /** {@link #PREFERRED_HEAD_START} when the first route is the remembered one, else the usual stagger. */
    private static Duration headStart(List<Route> routes, Optional<String> preferred) {
        boolean remembered = preferred.isPresent() && !routes.isEmpty() && routes.getFirst().key().equals(preferred.get());
        return remembered ? PREFERRED_HEAD_START : STAGGER;
    }

    /**
     * Starts the DNS-over-HTTPS lookups of the descriptor's names right away, alongside the system's
     * lookups, so that the addresses are known by the time the DoH routes' turn comes.
     */
    private static Map<String, CompletableFuture<List<InetAddress>>> lookUpEarly(InviteLink link,
                                                                                          Duration timeout) {
        Map<String, CompletableFuture<List<InetAddress>>> lookups = new HashMap<>();
        if (link.descriptor().getDohResolversCount() == 0) {
            return lookups;
        }
        for (Endpoint endpoint : link.descriptor().getEndpointsList()) {
            String host = endpoint.getHost();
            if (Route.isName(host) && !lookups.containsKey(host)) {
                CompletableFuture<List<InetAddress>> lookup = new CompletableFuture<>();
                Thread.ofVirtual().name("svyaz-doh").start(() -> {
                    try {
                        lookup.complete(DohLookup.resolve(link.descriptor().getDohResolversList(), host, timeout));
                    } catch (ConnectionException e) {
                        lookup.completeExceptionally(e);
                    }
                });
                lookups.put(host, lookup);
            }
        }
        return lookups;
    }

    /** Everything one connection attempt needs besides its route. */
    private record Dialer(SslContext ssl, InviteLink link, Optional<DeviceCredentials> credentials,
                          PushHandler pushHandler, Duration timeout,
                          Map<String, CompletableFuture<List<InetAddress>>> dohLookups,
                          UpgradeTurn upgradeTurn) {
        /**
         * Tries every route, starting the next one {@link #STAGGER} after the previous, or at once
         * when an attempt fails (happy eyeballs), and keeps the first that completes the WebSocket
         * handshake; later winners are closed. A blocked address that swallows packets therefore
         * costs a quarter of a second, one that is refused or does not resolve costs nothing.
         * The first route has {@code headStart} to itself, cut short when it fails.
         * A refusal of our credentials is final: no other route would change the answer.
         */
        ServerConnection race(List<Route> routes, String failureMessage, Duration headStart) throws ConnectionException {
            if (routes.isEmpty()) {
                throw new ConnectionException(failureMessage + ".", null);
            }
            CompletableFuture<ServerConnection> winner = new CompletableFuture<>();
            List<ConnectionException> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger next = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            long raceStart = System.nanoTime();
            // The scheduler only starts attempts; each runs on its own virtual thread, so a hanging route
            // never delays the next one.
            ScheduledExecutorService starter = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("svyaz-route-starter").daemon(true).factory());
            AtomicBoolean firstFailed = new AtomicBoolean();
            Runnable[] startNext = new Runnable[1];
            startNext[0] = () -> {
                Route route;
                boolean first;
                synchronized (next) {
                    int index = next.get();
                    if (index >= routes.size() || winner.isDone()) {
                        return;
                    }
                    if (index > 0 && headStart.compareTo(STAGGER) > 0 && !firstFailed.get()
                            && System.nanoTime() - raceStart < headStart.toNanos()) {
                        return; // the first route's head start; the ticker comes back
                    }
                    first = index == 0;
                    route = routes.get(index);
                    boolean othersPending = finished.get() < index;
                    if (route.kind() == RouteKind.RELAY && othersPending
                            && System.nanoTime() - raceStart < RELAY_GRACE.toNanos()) {
                        return; // the ticker comes back
                    }
                    next.incrementAndGet();
                }
                Thread.ofVirtual().name("svyaz-route").start(() -> {
                    try {
                        ServerConnection connection = attempt(route);
                        synchronized (failures) {
                            connection.addFailedRoutesBefore(failures.stream().map(Throwable::getMessage).toList());
                        }
                        if (!winner.complete(connection)) {
                            connection.close();
                        }
                    } catch (ConnectionException e) {
                        if (!UpgradeTurn.SUPERSEDED.equals(e.getMessage())) {
                            failures.add(e);
                        }
                        if (e.unauthorized()) {
                            winner.completeExceptionally(e);
                        }
                        if (first) {
                            firstFailed.set(true);
                        }
                        startNext[0].run();
                    } finally {
                        if (finished.incrementAndGet() == routes.size() && !winner.isDone()) {
                            ConnectionException last = failures.isEmpty() ? null : failures.getLast();
                            ConnectionException failure = new ConnectionException(failureMessage
                                    + (last == null ? "." : ": " + last.getMessage()), last);
                            failures.forEach(failure::addSuppressed);
                            winner.completeExceptionally(failure);
                        }
                    }
                });
            };
            try {
                starter.scheduleAtFixedRate(startNext[0], 0, STAGGER.toMillis(), TimeUnit.MILLISECONDS);
                return winner.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectionException("Interrupted while connecting.", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ConnectionException connectionFailure) {
                    throw connectionFailure;
                }
                throw new ConnectionException("Connecting failed unexpectedly: " + Causes.rootMessage(e.getCause()), e.getCause());
            } finally {
                starter.shutdownNow();
            }
        }

        /** One route; a DNS-over-HTTPS route first looks the name up, then races the addresses it got. */
        private ServerConnection attempt(Route route) throws ConnectionException {
            if (route.kind() == RouteKind.DOH && route.address().isEmpty()) {
                List<InetAddress> addresses = dohAddresses(route.endpoint().getHost());
                List<Route> byAddress = new ArrayList<>();
                for (InetAddress address : addresses) {
                    byAddress.add(new Route(RouteKind.DOH, route.endpoint(), Optional.of(address), route.sni(), Optional.empty()));
                    byAddress.add(new Route(RouteKind.DOH, route.endpoint(), Optional.of(address), Optional.empty(), Optional.empty()));
                }
                ServerConnection connection = race(byAddress, "No address DNS over HTTPS gave for "
                        + route.endpoint().getHost() + " reaches the server", STAGGER);
                connection.routeKey(route.key());
                return connection;
            }
            return ServerConnection.connect(route, ssl, credentials, pushHandler, timeout, upgradeTurn);
        }

        private List<InetAddress> dohAddresses(String host) throws ConnectionException {
            CompletableFuture<List<InetAddress>> lookup = dohLookups.get(host);
            if (lookup == null) {
                return DohLookup.resolve(link.descriptor().getDohResolversList(), host, timeout);
            }
            try {
                return lookup.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ConnectionException failure) {
                    throw new ConnectionException(failure.getMessage(), failure);
                }
                throw new ConnectionException("DNS over HTTPS failed: " + Causes.rootMessage(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectionException("Interrupted while looking up " + host + ".", e);
            }
        }
    }
}
