// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Prometheus metrics at {@code /metrics} on an admin port that must be bound to loopback: metrics
 * are for the operator's own scraper, never for the internet.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;

    private AdminServer(HttpServer server) {
        this.server = server;
    }

    public static AdminServer start(InetSocketAddress listen, PrometheusMeterRegistry registry) throws IOException {
        if (!listen.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the admin port must listen on a loopback address");
        }
        HttpServer server = HttpServer.create(listen, 16);
        server.createContext("/metrics", exchange -> respond(exchange, registry.scrape()));
        // Only here, on loopback: the public port answers /health like any unknown path.
        server.createContext("/health", exchange -> respond(exchange, "ok\n"));
        server.setExecutor(null);
        server.start();
        return new AdminServer(server);
    }

    private static void respond(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
