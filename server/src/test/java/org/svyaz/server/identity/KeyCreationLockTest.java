// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes starting together on one empty data directory end up with one identity. (Between processes
 * the operating system's lock does the same; ClusterIT starts three node processes at once.)
 */
class KeyCreationLockTest {
    @TempDir
    Path dataDir;

    @Test
    void nodesStartingAtOnceShareTheKeysTheFirstOneMade() throws Exception {
        int nodes = 6;
        CyclicBarrier together = new CyclicBarrier(nodes);
        Callable<String> start = () -> {
            together.await();
            try (KeyCreationLock lock = KeyCreationLock.acquire(dataDir)) {
                ServerIdentity identity = ServerIdentity.loadOrCreate(dataDir);
                SenderCertificateIssuer issuer = SenderCertificateIssuer.loadOrCreate(dataDir, Clock.systemUTC());
                return HexFormat.of().formatHex(identity.tlsKeyPin()) + "/"
                        + HexFormat.of().formatHex(identity.identityKeyPair().getPublic().getEncoded()) + "/"
                        + HexFormat.of().formatHex(issuer.trustRoot().serialize());
            }
        };
        List<String> identities = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(nodes)) {
            List<Future<String>> started = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                started.add(threads.submit(start));
            }
            for (Future<String> node : started) {
                identities.add(node.get());
            }
        }

        assertThat(identities).hasSize(nodes).containsOnly(identities.getFirst());
    }
}
