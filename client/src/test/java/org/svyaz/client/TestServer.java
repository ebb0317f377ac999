// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/** A real server on loopback with an ephemeral port, for in-process end-to-end tests. */
final class TestServer {
    private TestServer() {}

    static ServerConfig config(Path dataDir) {
        return ServerConfig.defaults(dataDir, new InetSocketAddress("127.0.0.1", 0)).withAdmin(Optional.empty());
    }

    static SvyazServer start(Path dataDir) throws Exception {
        return SvyazServer.start(config(dataDir));
    }
}
