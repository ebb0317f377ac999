// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.store.postgres.PostgresStorage;
import org.svyaz.server.store.postgres.PostgresTestDatabase;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * The real server on PostgreSQL storage (a fresh database on the machine's PostgreSQL) with two
 * real clients: they register and write to each other, and after a restart on the same database
 * the accounts, keys and a message that waited in the mailbox are all still there.
 */
class PostgresServerIT {
    @TempDir
    Path temp;

    private final PostgresTestDatabase database = PostgresTestDatabase.create();

    @AfterEach
    void dropDatabase() throws Exception {
        database.close();
    }

    @Test
    void twoClientsTalkThroughAServerOnPostgresAndEverythingSurvivesARestart() throws Exception {
        ServerConfig config = ServerConfig.defaults(temp.resolve("server"), new InetSocketAddress("127.0.0.1", freePort()))
                .withAdmin(Optional.empty());
        Path aliceDir;
        Path bobDir;
        try (SvyazServer server = SvyazServer.start(config, PostgresStorage.open(database.settings(4)));
             SvyazClient alice = SvyazClient.register(temp.resolve("alice"), server.inviteLink(), "alice.31", Clock.systemUTC())) {
            aliceDir = temp.resolve("alice").resolve(alice.username());
            SvyazClient bob = SvyazClient.register(temp.resolve("bob"), server.inviteLink(), "bob.32", Clock.systemUTC());
            try {
                bobDir = temp.resolve("bob").resolve(bob.username());
                alice.send("bob.32", "hello bob");
                List<ReceivedMessage> atBob = MessagingIT.receiveAll(bob, 1);
                assertThat(atBob).extracting(m -> m.body().orElseThrow()).containsExactly("hello bob");
                assertThat(atBob.getFirst().source()).isEqualTo("alice.31");

                bob.send("alice.31", "hi alice");
                assertThat(MessagingIT.receiveAll(alice, 1)).extracting(m -> m.body().orElseThrow())
                        .containsExactly("hi alice");
            } finally {
                bob.close();
            }

            // Bob is offline now: this one waits in his mailbox, in PostgreSQL, across the restart.
            // Alice's delivery receipt for "hi alice" may wait there too: it reached Bob just before
            // he closed, and his acknowledgement may not have reached the server (a CI run saw 2).
            alice.send("bob.32", "sent before the restart");
            assertThat(mailboxRows()).isBetween(1L, 2L);
        }
        assertThat(Files.exists(config.dataDir().resolve(EmbeddedStorage.DATABASE_FILE)))
                .as("no embedded database next to the keys").isFalse();

        try (SvyazServer restarted = SvyazServer.start(config, PostgresStorage.open(database.settings(4)));
             SvyazClient alice = SvyazClient.open(aliceDir, Clock.systemUTC());
             SvyazClient bob = SvyazClient.open(bobDir, Clock.systemUTC())) {
            assertThat(MessagingIT.receiveAll(bob, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("sent before the restart");

            bob.send("alice.31", "got it after the restart");
            assertThat(MessagingIT.receiveAll(alice, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("got it after the restart");
            // Each side's delivery receipts wait for the other; receipts get no receipts, so one more
            // receive each empties the mailboxes.
            bob.receive(java.time.Duration.ofSeconds(2), 100, m -> { });
            alice.receive(java.time.Duration.ofSeconds(2), 100, m -> { });
        }
        assertThat(mailboxRows()).as("every delivered message was acknowledged and deleted").isZero();
    }

    private long mailboxRows() throws Exception {
        try (Connection connection = database.connect(); Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("SELECT count(*) FROM mailbox")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
