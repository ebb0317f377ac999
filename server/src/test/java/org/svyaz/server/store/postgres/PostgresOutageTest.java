// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.server.store.StoreException;

/**
 * A database that is down, goes away or stops answering fails every call with a
 * {@link StoreException} within the configured timeouts; nothing hangs. The machine's PostgreSQL is
 * never stopped: the outages are a closed port and a proxy in front of it.
 */
class PostgresOutageTest {
    /** Generous next to the 1-second timeouts below: it only turns a hang into a failure. */
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final Duration CONNECT = Duration.ofSeconds(1);
    private static final Duration STATEMENT = Duration.ofSeconds(1);

    private final PostgresTestDatabase database = PostgresTestDatabase.create();

    @AfterEach
    void dropDatabase() throws SQLException {
        database.close();
    }

    @Test
    void startingWithTheDatabaseDownFailsWithStoreException() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        PostgresSettings settings = PostgresSettings.of("jdbc:postgresql://127.0.0.1:" + closedPort + "/svyaz",
                database.user(), database.password(), 2).withTimeouts(CONNECT, STATEMENT);

        assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> PostgresStorage.open(settings))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("unavailable"));
    }

    @Test
    void aDatabaseThatGoesAwayFailsCallsWithStoreException() throws Exception {
        try (StallingProxy proxy = new StallingProxy(upstream());
             PostgresStorage storage = PostgresStorage.open(throughProxy(proxy))) {
            UUID account = UUID.randomUUID();
            assertThat(storage.mailbox().count(account, 1)).isZero();

            proxy.close();

            assertTimeoutPreemptively(BOUND, () -> {
                assertThatThrownBy(() -> storage.mailbox().count(account, 1)).isInstanceOf(StoreException.class);
                assertThatThrownBy(() -> storage.keys().takePreKey(account, 1)).isInstanceOf(StoreException.class);
                assertThatThrownBy(() -> storage.accounts().findDevices(account))
                        .isInstanceOf(StoreException.class)
                        .hasMessageContaining("unavailable");
            });
        }
    }

    @Test
    void aDatabaseThatStopsAnsweringFailsCallsWithStoreException() throws Exception {
        try (StallingProxy proxy = new StallingProxy(upstream());
             PostgresStorage storage = PostgresStorage.open(throughProxy(proxy))) {
            UUID account = UUID.randomUUID();
            assertThat(storage.keys().count(account, 1).preKeys()).isZero();

            proxy.goSilent();

            // Pooled connections time out on the socket, new ones on login; either way a typed failure.
            assertTimeoutPreemptively(BOUND, () -> {
                assertThatThrownBy(() -> storage.mailbox().fetch(account, 1, 0, 10)).isInstanceOf(StoreException.class);
                assertThatThrownBy(() -> storage.accounts().findAccount(account)).isInstanceOf(StoreException.class);
            });
        }
    }

    private InetSocketAddress upstream() {
        URI uri = URI.create(database.jdbcUrl().substring("jdbc:".length()));
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    private PostgresSettings throughProxy(StallingProxy proxy) {
        return PostgresSettings.of("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + database.name(),
                database.user(), database.password(), 2).withTimeouts(CONNECT, STATEMENT);
    }
}
