// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's HTTP server with three paths, each request on its own virtual thread, all behind
 * {@link HttpGuard}:
 * {@code POST /api/v1/rpc}, {@code GET /api/v1/events}, {@code GET /api/v1/check}. Serving the web app
 * it adds {@code POST /api/v1/session} and the app's files outside {@code /api/}. Anything else is 404.
 * Paths are matched exactly; the server's own contexts match by prefix.
 */
final class HttpTransport implements AutoCloseable {
    static final String RPC = "/api/v1/rpc";
    static final String EVENTS = "/api/v1/events";
    static final String CHECK = "/api/v1/check";
    /** Time for event streams to write their last chunk; without it their clients see a reset. */
    private static final int STOP_GRACE_SECONDS = 1;

    private final HttpServer server;
    private final ExecutorService executor;
    private final EventLog events;
    private final RpcHttpHandler rpc;
    private final EventStreamHandler eventStream;
    private final Optional<AppSessions> app;
    private final Optional<AppFileHandler> files;
    private final StaticAssets assets = new StaticAssets();

    private HttpTransport(HttpServer server, ExecutorService executor, EventLog events,
            RpcHttpHandler rpc, EventStreamHandler eventStream, Optional<AppSessions> app,
            Optional<AppFileHandler> files) {
        this.server = server;
        this.executor = executor;
        this.events = events;
        this.rpc = rpc;
        this.eventStream = eventStream;
        this.app = app;
        this.files = files;
    }

    /**
     * {@code app}: also serve the web app, whose API calls carry its session cookie; {@code appFiles}:
     * and its file transfers.
     */
    static HttpTransport start(ListenAddress address, Optional<BearerToken> token, Optional<AppSessions> app,
            Optional<AppFiles> appFiles, RpcDispatcher dispatcher, ReceiveHub hub, int maxBodyBytes,
            Duration heartbeat, Clock clock) throws IOException {
        HttpServer server = HttpServer.create(address.toSocketAddress(), 0);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        EventLog events = new EventLog(clock);
        hub.addListener(events::append);
        HttpTransport transport = new HttpTransport(server, executor, events,
                new RpcHttpHandler(dispatcher, maxBodyBytes), new EventStreamHandler(events, hub, heartbeat), app,
                app.isPresent() ? appFiles.map(AppFileHandler::new) : Optional.empty());
        HttpGuard guard = new HttpGuard(HttpGuard.ownHosts(address, server.getAddress()), token, app);
        server.createContext("/", transport::route).getFilters().add(guard);
        server.setExecutor(executor);
        server.start();
        return transport;
    }

    /** The bound address; its port is the real one when port 0 was asked for. */
    InetSocketAddress address() {
        return server.getAddress();
    }

    private void route(HttpExchange exchange) throws IOException {
        switch (exchange.getRequestURI().getPath()) {
            case RPC -> rpc.handle(exchange);
            case EVENTS -> eventStream.handle(exchange);
            case CHECK -> {
                if (exchange.getRequestMethod().equals("GET")) {
                    HttpReplies.empty(exchange, 200);
                } else {
                    HttpReplies.wrongMethod(exchange, "GET");
                }
            }
            case AppSessions.PATH -> {
                if (app.isPresent()) {
                    app.get().handle(exchange);
                } else {
                    HttpReplies.text(exchange, 404, "no such path; the API is under /api/v1/");
                }
            }
            case AppFileHandler.UPLOAD -> {
                if (files.isPresent()) {
                    files.get().upload(exchange);
                } else {
                    HttpReplies.text(exchange, 404, "no such path; the API is under /api/v1/");
                }
            }
            default -> {
                if (files.isPresent() && exchange.getRequestURI().getPath().startsWith(AppFileHandler.ATTACHMENTS)) {
                    files.get().download(exchange);
                } else if (app.isPresent() && !exchange.getRequestURI().getPath().startsWith("/api/")) {
                    assets.handle(exchange);
                } else {
                    HttpReplies.text(exchange, 404, "no such path; the API is under /api/v1/");
                }
            }
        }
    }

    /**
     * Stops within about a second: event streams end cleanly (closing the log wakes them), and a call
     * still running then finishes unheard.
     */
    @Override
    public void close() {
        events.close();
        server.stop(STOP_GRACE_SECONDS);
        executor.shutdown();
    }
}
