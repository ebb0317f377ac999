// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A bot's side of the daemon's line protocol over a UNIX socket: requests out, replies matched by
 * id, notifications collected in order.
 */
final class RpcClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final SocketChannel channel;
    private final OutputStream out;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<JsonNode> notifications = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread reader;

    private RpcClient(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.UTF_8));
        this.reader = Thread.ofVirtual().start(() -> read(in));
    }

    static RpcClient unix(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return new RpcClient(channel);
    }

    static RpcClient tcp(InetSocketAddress address) throws IOException {
        return new RpcClient(SocketChannel.open(address));
    }

    private void read(BufferedReader in) {
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode message = JSON.readTree(line);
                if (message.has("id") && !message.has("method")) {
                    CompletableFuture<JsonNode> waiting = pending.remove(message.get("id").asLong());
                    if (waiting != null) {
                        waiting.complete(message);
                    }
                } else {
                    notifications.add(message);
                }
            }
        } catch (IOException e) {
            // Closed.
        }
        pending.values().forEach(f -> f.completeExceptionally(new IOException("the daemon closed the connection")));
    }

    /** Sends a request and returns the whole reply ({@code result} or {@code error}). */
    JsonNode call(String method, ObjectNode params) throws Exception {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method).put("id", id);
        if (params != null) {
            request.set("params", params);
        }
        sendLine(JSON.writeValueAsString(request));
        return reply.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The {@code result} of a call that must succeed. */
    JsonNode result(String method, ObjectNode params) throws Exception {
        JsonNode reply = call(method, params);
        if (!reply.has("result")) {
            throw new AssertionError(method + " failed: " + reply);
        }
        return reply.get("result");
    }

    synchronized void sendLine(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The next notification, or null after {@code timeout}. */
    JsonNode nextNotification(Duration timeout) throws InterruptedException {
        return notifications.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next notification that carries a text, skipping receipts, reactions and typing; null after {@code timeout}. */
    JsonNode nextText(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = nextNotification(Duration.ofSeconds(1));
            if (notification != null && notification.path("params").path("envelope").path("dataMessage")
                    .hasNonNull("message")) {
                return notification;
            }
        }
        return null;
    }

    static ObjectNode params() {
        return JSON.createObjectNode();
    }

    @Override
    public void close() throws IOException {
        channel.close();
        try {
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
