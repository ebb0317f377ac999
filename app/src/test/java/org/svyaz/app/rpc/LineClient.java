// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test client for line transports over a real socket. It reads only once asked to ({@link #read}), so
 * a test can also play a client that never reads. Every wait is bounded.
 */
final class LineClient implements AutoCloseable {
    private static final String EOF = new String("end of stream");

    private final SocketChannel channel;
    private final OutputStream out;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private Thread reader;

    private LineClient(SocketChannel channel) {
        this.channel = channel;
        this.out = ChannelStreams.out(channel);
    }

    static LineClient unix(Path path) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(path));
        return new LineClient(channel);
    }

    static LineClient tcp(InetSocketAddress address) throws IOException {
        return new LineClient(SocketChannel.open(address));
    }

    void send(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code {"jsonrpc":"2.0","method":…,"params":…,"id":…}}; params is a JSON object text. */
    void call(Object id, String method, String params) throws IOException {
        String idJson = id instanceof String text ? "\"" + text + "\"" : String.valueOf(id);
        send("{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":" + params + ",\"id\":" + idJson + "}");
    }

    /** The next line the server sent; fails after 20 s or at the end of the stream. */
    String read() throws InterruptedException {
        startReading();
        String line = lines.poll(20, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("no line within 20 s");
        }
        if (line == EOF) {
            lines.add(EOF);
            throw new AssertionError("the server closed the connection");
        }
        return line;
    }

    JsonNode readJson() throws InterruptedException {
        return RecordingPeer.parse(read());
    }

    /** Reads until the server closes the connection; returns how many lines came before. */
    int drainUntilClosed() throws InterruptedException {
        startReading();
        int count = 0;
        while (true) {
            String line = lines.poll(20, TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("the server did not close the connection within 20 s");
            }
            if (line == EOF) {
                return count;
            }
            count++;
        }
    }

    private synchronized void startReading() {
        if (reader != null) {
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(channel), StandardCharsets.UTF_8));
        reader = Thread.ofVirtual().start(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // Reset or closed: the end of this stream either way.
            }
            lines.add(EOF);
        });
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
