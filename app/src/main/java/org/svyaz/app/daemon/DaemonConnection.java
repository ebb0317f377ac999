// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcErrorCode;
import org.svyaz.app.rpc.RpcException;

/**
 * A svyaz command's way into the daemon that serves its account: one JSON-RPC call over the UNIX
 * socket the daemon noted in the account folder. No daemon (no note, or nobody listening): empty,
 * and the command opens the account itself.
 */
public final class DaemonConnection implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final OutputStream out;
    private final BufferedReader in;
    private long nextId;

    private DaemonConnection(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /** Connects to the daemon serving the account in {@code accountDir}, if one listens. */
    public static Optional<DaemonConnection> find(Path accountDir) {
        Path marker = accountDir.resolve(OpenAccounts.SOCKET_MARKER);
        if (!Files.isRegularFile(marker)) {
            return Optional.empty();
        }
        try {
            return at(Path.of(Files.readString(marker).strip()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Connects to the daemon's command socket at {@code socket}, if one listens there. */
    public static Optional<DaemonConnection> at(Path socket) {
        try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException | RuntimeException e) {
                channel.close();
                return Optional.empty(); // none there, or a daemon that died without removing its note
            }
            return Optional.of(new DaemonConnection(channel));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Calls {@code method} and returns its result; an error reply becomes the {@link RpcException}
     * the daemon described. Notifications the daemon pushes meanwhile are skipped.
     */
    public JsonNode call(String method, ObjectNode params) throws IOException, RpcException {
        long id = ++nextId;
        ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method).put("id", id);
        request.set("params", params);
        out.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            JsonNode reply = JSON.readTree(line);
            if (reply.has("method") || reply.path("id").asLong(-1) != id) {
                continue;
            }
            JsonNode error = reply.get("error");
            if (error != null && !error.isNull()) {
                JsonNode data = error.get("data");
                throw new RpcException(error.path("code").asInt(RpcErrorCode.INTERNAL_ERROR),
                        error.path("message").asText("the daemon reported an error"),
                        data == null || data.isNull() ? null : data);
            }
            return reply.get("result");
        }
        throw new IOException("the daemon closed the connection before answering");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
