// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.SendResult;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.store.postgres.PostgresSettings;
import org.svyaz.server.store.postgres.PostgresStorage;
import org.svyaz.server.store.postgres.PostgresTestDatabase;

/** Sends survive a storage outage by retrying, and a message sent twice is shown once. */
class SendRetryIT {
    @TempDir
    Path temp;

    private final PostgresTestDatabase database = PostgresTestDatabase.create();

    @AfterEach
    void dropDatabase() throws Exception {
        database.close();
    }

    @Test
    void aMessageSentTwiceWithOneTimestampIsShownOnce() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.61", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.62", Clock.systemUTC())) {
            // What a retry after a lost answer does: the same message, encrypted again, same timestamp.
            long timestamp = System.currentTimeMillis();
            Content content = alice.sender().contentFromHere()
                    .setDataMessage(DataMessage.newBuilder().setBody("only once").setTimestamp(timestamp)).build();
            alice.sender().sendPairwise("bob.62", bob.accountId(), content, timestamp);
            alice.sender().sendPairwise("bob.62", bob.accountId(), content, timestamp);
            alice.send("bob.62", "and then this");
            List<ReceivedMessage> got = receiveUntil(bob, body("and then this"));
            assertThat(got.stream().filter(m -> m.signal().isEmpty()).map(m -> m.body().orElse("")))
                    .containsExactly("only once", "and then this");

            // Messages sent within one millisecond still get timestamps of their own.
            long first = alice.send("bob.62", "one").timestamp();
            long second = alice.send("bob.62", "two").timestamp();
            assertThat(second).isGreaterThan(first);
        }
    }

    @Test
    void aSendWaitsOutAStorageOutageAndArrivesOnce() throws Exception {
        try (CuttableProxy proxy = new CuttableProxy(new InetSocketAddress("127.0.0.1", postgresPort()))) {
            PostgresSettings settings = PostgresSettings.of(
                    database.jdbcUrl().replaceFirst("//[^/]+/", "//127.0.0.1:" + proxy.port() + "/"),
                    database.user(), database.password(), 4)
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));
            ServerConfig config = TestServer.config(temp.resolve("server"));
            try (SvyazServer server = SvyazServer.start(config, PostgresStorage.open(settings));
                 SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.63",
                         Clock.systemUTC());
                 SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.64",
                         Clock.systemUTC())) {
                alice.send("bob.64", "before");
                receiveUntil(bob, body("before"));

                proxy.cut(); // the database restarts
                CompletableFuture<SendResult> sending = CompletableFuture.supplyAsync(() -> {
                    try {
                        return alice.send("bob.64", "during the outage");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(3000);
                assertThat(sending).as("still trying while the database is away").isNotDone();
                proxy.restore();
                sending.get(SendRetry.WINDOW.toSeconds(), TimeUnit.SECONDS);

                List<ReceivedMessage> got = receiveUntil(bob, body("during the outage"));
                List<ReceivedMessage> more = new ArrayList<>();
                bob.receive(Duration.ofSeconds(1), 10, more::add);
                got.addAll(more);
                assertThat(got.stream().filter(body("during the outage"))).hasSize(1);
            }
        }
    }

    private static int postgresPort() {
        String port = System.getenv("PGPORT");
        return port == null ? 5432 : Integer.parseInt(port);
    }
}
