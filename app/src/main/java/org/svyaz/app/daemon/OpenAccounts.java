// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;

/**
 * The accounts one daemon serves, each opened once and kept open: the daemon owns their
 * connections, so no second process knocks them offline. With one account (started with
 * {@code -a}) calls need not name it; otherwise each call names its {@code account}, as in
 * signal-cli's multi-account mode.
 */
public final class OpenAccounts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpenAccounts.class);
    /**
     * In each served account's folder while the daemon listens on a UNIX socket: the path of its
     * command socket, so that svyaz commands for the account go through the daemon instead of
     * opening a second connection that would knock it offline.
     */
    public static final String SOCKET_MARKER = "daemon.socket";

    private final Path dataDir;
    /** Guarded by this: accounts registered through the daemon join while calls run. */
    private final Map<String, SvyazClient> clients;
    private final boolean single;
    private Optional<Path> commandSocket = Optional.empty();

    private OpenAccounts(Path dataDir, Map<String, SvyazClient> clients, boolean single) {
        this.dataDir = dataDir;
        this.clients = clients;
        this.single = single;
    }

    /** Opens the named accounts under {@code dataDir}; {@code single}: the daemon was started for one account. */
    public static OpenAccounts open(Path dataDir, List<String> usernames, boolean single) throws ClientException {
        Map<String, SvyazClient> clients = new LinkedHashMap<>();
        try {
            for (String username : usernames) {
                clients.put(username, SvyazClient.open(dataDir.resolve(username), Clock.systemUTC()));
            }
        } catch (ClientException | RuntimeException e) {
            clients.values().forEach(SvyazClient::close);
            throw e;
        }
        return new OpenAccounts(dataDir, clients, single);
    }

    public boolean single() {
        return single;
    }

    public synchronized List<SvyazClient> all() {
        return List.copyOf(clients.values());
    }

    /**
     * Creates an account on the server of {@code link} and serves it from now on (signal-cli's
     * {@code register} in multi-account mode). A daemon started for one account registers none.
     */
    public SvyazClient register(InviteLink link, List<RelayLink> relays, String username)
            throws ClientException, RpcException, IOException {
        if (single) {
            throw RpcException.userError("This daemon serves only one account; start it without -a to register.");
        }
        synchronized (this) {
            if (clients.containsKey(username)) {
                throw RpcException.userError("An account " + username + " already exists here.");
            }
        }
        // Outside the lock: registering takes a round trip or more, and calls for other accounts go on.
        SvyazClient client = SvyazClient.register(dataDir, link, relays, username, Clock.systemUTC());
        synchronized (this) {
            clients.put(client.username(), client);
            if (commandSocket.isPresent()) {
                writeMarker(client.username(), commandSocket.get());
            }
        }
        return client;
    }

    /** The served account {@code username}. */
    public synchronized SvyazClient named(String username) throws RpcException {
        SvyazClient client = clients.get(username);
        if (client == null) {
            throw RpcException.userError("No account " + username + " is served by this daemon.");
        }
        return client;
    }

    /** Where the web app's uploads wait to be sent: inside the data directory, which only its owner enters. */
    Path uploads() {
        return dataDir.resolve(".uploads");
    }

    /** The account a call is for: the daemon's only one, or the one its {@code account} names. */
    public synchronized SvyazClient forCall(RpcCall call) throws RpcException {
        Optional<String> named = call.optionalString("account");
        if (single) {
            SvyazClient only = clients.values().iterator().next();
            if (named.isPresent() && !named.get().equals(only.username())) {
                throw RpcException.userError("This daemon serves only the account " + only.username() + ".");
            }
            return only;
        }
        if (named.isEmpty()) {
            throw RpcException.invalidParams("missing required parameter 'account' (this daemon serves "
                    + clients.size() + " accounts)");
        }
        SvyazClient client = clients.get(named.get());
        if (client == null) {
            throw RpcException.userError("No account " + named.get() + " is served by this daemon.");
        }
        return client;
    }

    /** Tells commands for the served accounts where the daemon listens (see {@link #SOCKET_MARKER}). */
    synchronized void markSocket(Path socket) throws IOException {
        commandSocket = Optional.of(socket);
        for (String username : clients.keySet()) {
            writeMarker(username, socket);
        }
    }

    private void writeMarker(String username, Path socket) throws IOException {
        Path marker = dataDir.resolve(username).resolve(SOCKET_MARKER);
        Path written = Files.writeString(marker.resolveSibling(SOCKET_MARKER + ".new"), socket.toAbsolutePath().toString());
        Files.move(written, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public synchronized void close() {
        for (String username : clients.keySet()) {
            try {
                Files.deleteIfExists(dataDir.resolve(username).resolve(SOCKET_MARKER));
            } catch (IOException e) {
                // A marker left behind names a socket nobody listens on: commands then open the account themselves.
                log.warn("could not remove a daemon socket marker: {}", e.getClass().getSimpleName());
            }
        }
        clients.values().forEach(SvyazClient::close);
    }
}
