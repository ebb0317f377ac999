// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.svyaz.server.ServerConfig;

/** A real server in the test's JVM, on loopback, with the send rate limit out of the way. */
public final class InProcessServers {
    private InProcessServers() {}

    public static ServerConfig config(Path data) {
        return ServerConfig.defaults(data, new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(Optional.empty())
                .withSendLimit(1_000_000, 1_000_000);
    }
}
