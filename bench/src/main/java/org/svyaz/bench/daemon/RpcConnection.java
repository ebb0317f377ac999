// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection to a daemon's UNIX socket, speaking its newline-delimited JSON-RPC: requests are
 * written by whoever calls {@link #write}, and one platform thread reads every line that comes
 * back (replies and {@code receive} notifications alike) and hands it to the listener with the
 * {@link System#nanoTime()} at which it was read. The channel reads and writes under separate
 * locks, so writing never waits for the reader.
 */
public final class RpcConnection implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** The id of the readiness probe; the benchmark's own calls use numbers. */
    private static final String PROBE_ID = "bench-ready";

    /** What the reader hands on. Runs on the reader thread: keep it short. */
    @FunctionalInterface
    public interface Listener {
        void line(JsonNode message, long readNanos);
    }

    private final SocketChannel channel;
    private final Listener listener;
    private final CompletableFuture<JsonNode> probe = new CompletableFuture<>();
    private final Thread reader;
    private volatile boolean ended;

    private RpcConnection(SocketChannel channel, String name, Listener listener) {
        this.channel = channel;
        this.listener = listener;
        this.reader = Thread.ofPlatform().daemon(true).name("bench-rpc-" + name).unstarted(this::readLines);
    }

    /**
     * Connects to {@code socket} and waits, at most {@code timeout}, until the daemon answers a
     * {@code version} call, so that the connection is known to be served before the run starts.
     */
    public static RpcConnection open(Path socket, String name, Listener listener, long timeout, TimeUnit unit)
            throws IOException, TimeoutException, InterruptedException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        RpcConnection connection;
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            connection = new RpcConnection(channel, name, listener);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        connection.reader.start();
        try {
            ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", PROBE_ID)
                    .put("method", "version");
            connection.write(request);
            connection.probe.get(timeout, unit);
            return connection;
        } catch (ExecutionException e) {
            connection.close();
            throw new IOException("the daemon's connection ended before it answered", e.getCause());
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Writes one request as one line. Thread-safe; lines never interleave. */
    public void write(ObjectNode request) throws IOException {
        byte[] json = JSON.writeValueAsBytes(request);
        ByteBuffer line = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        synchronized (this) {
            while (line.hasRemaining()) {
                channel.write(line);
            }
        }
    }

    /** Whether the daemon closed the connection (or it broke). */
    public boolean ended() {
        return ended;
    }

    private void readLines() {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buffer.clear()) >= 0) {
                long readNanos = System.nanoTime();
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    handle(line.toString(StandardCharsets.UTF_8), readNanos);
                    line.reset();
                }
            }
        } catch (IOException e) {
            // Closed by us at the end, or by the daemon: either way nothing more comes.
        } finally {
            ended = true;
            probe.completeExceptionally(new IOException("connection ended"));
        }
    }

    private void handle(String line, long readNanos) throws IOException {
        if (line.isBlank()) {
            return;
        }
        JsonNode message = JSON.readTree(line);
        if (PROBE_ID.equals(message.path("id").asText(null))) {
            probe.complete(message);
            return;
        }
        listener.line(message, readNanos);
    }

    @Override
    public void close() throws InterruptedException {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a UNIX socket channel fails only when it is closed already.
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
    }
}
