// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.attachments.AttachmentCipher;
import org.svyaz.client.attachments.AttachmentCipher.AttachmentCorruptException;
import org.svyaz.client.net.BlobClient;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.Routes;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import org.svyaz.server.SvyazServer;

/**
 * Encrypted attachments along the client's routes: up through a relay and down directly with the
 * same plaintext at the end, through flows a censor freezes every few megabytes (each transfer
 * resumes on a new flow), and a tampered blob refused by the recipient.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlobClientIT {
    private static final Duration QUIET = Duration.ofSeconds(2);

    @TempDir
    Path temp;

    @Test
    void anEncryptedFileGoesUpThroughARelayAndComesDownDirectly() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             RelayServer relay = RelayServer.start(new RelayConfig(temp.resolve("relay"),
                     new InetSocketAddress("127.0.0.1", 0), server.address(), "news.example.org", Optional.empty(),
                     100, Duration.ofMinutes(2)));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.95", Clock.systemUTC())) {
            RelayLink relayLink = relay.link("127.0.0.1", relay.address().getPort(),
                    server.inviteLink().descriptor().getIdentityKey().toByteArray());
            List<Route> routes = Routes.of(server.inviteLink(), List.of(relayLink));
            Path original = randomFile("holiday.mp4", 20 * 1024 * 1024);
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(original, temp.resolve("blob"));
            String id = newId();

            AtomicLong uploaded = new AtomicLong();
            try (BlobClient viaRelay = new BlobClient(server.inviteLink(), routes.getLast(), alice.credentials(), QUIET)) {
                viaRelay.upload(id, temp.resolve("blob"), uploaded::set);
            }
            assertThat(uploaded.get()).as("progress reached the end").isEqualTo(sealed.blobSize());
            try (BlobClient direct = new BlobClient(server.inviteLink(), routes.getFirst(), alice.credentials(), QUIET)) {
                direct.download(id, temp.resolve("downloaded"), bytes -> { });
            }
            AttachmentCipher.decrypt(temp.resolve("downloaded"), sealed.key(), sealed.digest(), temp.resolve("plain"));

            assertThat(Files.mismatch(original, temp.resolve("plain"))).isEqualTo(-1);
        }
    }

    @Test
    void transfersResumeAcrossFlowsFrozenEveryThreeMegabytes() throws Exception {
        try (AckDroppingProxy censor = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withAdvertised(
                     List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(censor.port()).build())))) {
            censor.forwardTo(server.address());
            SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.96", Clock.systemUTC());
            alice.close();
            censor.freezeEachConnectionAfter(3 * 1024 * 1024);
            InviteLink link = server.inviteLink();
            Route route = Routes.of(link, List.of()).getFirst();
            Path original = randomFile("scan.pdf", 10 * 1024 * 1024);
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(original, temp.resolve("blob"));
            String id = newId();
            int connectionsBefore = censor.connectionsAccepted();

            try (BlobClient client = new BlobClient(link, route, alice.credentials(), QUIET)) {
                client.upload(id, temp.resolve("blob"), bytes -> { });
                int afterUpload = censor.connectionsAccepted();
                assertThat(afterUpload - connectionsBefore).as("no single flow could carry 10 MiB").isGreaterThan(3);
                client.download(id, temp.resolve("downloaded"), bytes -> { });
                assertThat(censor.connectionsAccepted() - afterUpload).as("the download resumed too").isGreaterThan(3);
            }
            AttachmentCipher.decrypt(temp.resolve("downloaded"), sealed.key(), sealed.digest(), temp.resolve("plain"));
            assertThat(Files.mismatch(original, temp.resolve("plain"))).isEqualTo(-1);
        }
    }

    /**
     * Issue #16, point 4: a censor that holds each flow to 16 KB/s, so each direction takes twice
     * the client's quiet time. A flow that moves slowly is not a dead one: neither direction gives
     * up or starts over.
     */
    @Test
    void aFileGoesUpAndComesDownThroughSlowFlowsWithoutStartingOver() throws Exception {
        try (AckDroppingProxy censor = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withAdvertised(
                     List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(censor.port()).build())))) {
            censor.forwardTo(server.address());
            SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.94", Clock.systemUTC());
            alice.close();
            censor.throttleEachConnection(16 * 1024);
            InviteLink link = server.inviteLink();
            Route route = Routes.of(link, List.of()).getFirst();
            Path original = randomFile("letter.pdf", 160 * 1024);
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(original, temp.resolve("blob"));
            String id = newId();
            int before = censor.connectionsAccepted();

            // Quiet for 5 s: five times the server's progress interval, half the 10 s each direction
            // takes. Before the progress answers, the flow went quiet once the kernel had taken the
            // whole body, and was dropped.
            try (BlobClient client = new BlobClient(link, route, alice.credentials(), Duration.ofSeconds(5))) {
                client.upload(id, temp.resolve("blob"), bytes -> { });
                // A HEAD and a PUT.
                assertThat(censor.connectionsAccepted() - before).as("flows the upload took").isEqualTo(2);
                client.download(id, temp.resolve("downloaded"), bytes -> { });
                assertThat(censor.connectionsAccepted() - before).as("flows both took").isEqualTo(3);
            }
            AttachmentCipher.decrypt(temp.resolve("downloaded"), sealed.key(), sealed.digest(), temp.resolve("plain"));
            assertThat(Files.mismatch(original, temp.resolve("plain"))).isEqualTo(-1);
        }
    }

    /**
     * Issue #16, point 4: a censor that freezes every flow after 16 KB (as flows to foreign hosting
     * in Russia freeze since 2025). The first flow carries what it can; the client then sends and
     * fetches the rest in pieces smaller than that, on flows of their own (downloads several at once).
     */
    @Test
    void aFileGoesUpAndComesDownThroughFlowsFrozenAfter16KilobytesInPieces() throws Exception {
        try (AckDroppingProxy censor = new AckDroppingProxy();
             SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")).withAdvertised(
                     List.of(Endpoint.newBuilder().setHost("127.0.0.1").setPort(censor.port()).build())))) {
            censor.forwardTo(server.address());
            SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.98", Clock.systemUTC());
            alice.close();
            InviteLink link = server.inviteLink();
            Route route = Routes.of(link, List.of()).getFirst();
            Path original = randomFile("photo.jpg", 1024 * 1024);
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(original, temp.resolve("blob"));
            String id = newId();
            int flowsNeeded = (int) (sealed.blobSize() / (16 * 1024));
            censor.freezeEachConnectionAfter(16 * 1024);
            try (BlobClient client = new BlobClient(link, route, alice.credentials(), QUIET)) {
                int before = censor.connectionsAccepted();
                AtomicLong uploaded = new AtomicLong();
                client.upload(id, temp.resolve("blob"), uploaded::set);
                assertThat(uploaded.get()).isEqualTo(sealed.blobSize());
                int afterUpload = censor.connectionsAccepted();
                assertThat(afterUpload - before).as("no flow carried 16 KB up").isGreaterThan(flowsNeeded);

                AtomicLong downloaded = new AtomicLong();
                client.download(id, temp.resolve("downloaded"), sealed.blobSize(), downloaded::set);
                assertThat(downloaded.get()).isEqualTo(sealed.blobSize());
                assertThat(censor.connectionsAccepted() - afterUpload).as("no flow carried 16 KB down")
                        .isGreaterThan(flowsNeeded);
            }
            AttachmentCipher.decrypt(temp.resolve("downloaded"), sealed.key(), sealed.digest(), temp.resolve("plain"));
            assertThat(Files.mismatch(original, temp.resolve("plain"))).isEqualTo(-1);

            // Once the client knows that flows freeze after 16 KB here, no flow waits for it.
            int frozenBefore = censor.connectionsFrozen();
            try (BlobClient knowing = new BlobClient(link, route, alice.credentials(), QUIET, 16 * 1024)) {
                String second = newId();
                knowing.upload(second, temp.resolve("blob"), bytes -> { });
                knowing.download(second, temp.resolve("again"), sealed.blobSize(), bytes -> { });
            }
            assertThat(censor.connectionsFrozen()).as("flows that met the censor's limit").isEqualTo(frozenBefore);
            assertThat(Files.mismatch(temp.resolve("downloaded"), temp.resolve("again"))).isEqualTo(-1);
        }
    }

    @Test
    void aBlobChangedOnTheServerIsRefusedAndAMissingOneIsReported() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = SvyazServer.start(TestServer.config(data));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.97", Clock.systemUTC());
             BlobClient client = new BlobClient(server.inviteLink(), Routes.of(server.inviteLink(), List.of()).getFirst(),
                     alice.credentials(), QUIET)) {
            Path original = randomFile("note.txt", 100_000);
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(original, temp.resolve("blob"));
            String id = newId();
            client.upload(id, temp.resolve("blob"), bytes -> { });
            Path stored = data.resolve(SvyazServer.BLOB_DIRECTORY).resolve(id);
            byte[] bytes = Files.readAllBytes(stored);
            bytes[1234] ^= 0x40;
            Files.write(stored, bytes);

            client.download(id, temp.resolve("downloaded"), b -> { });
            assertThatThrownBy(() -> AttachmentCipher.decrypt(temp.resolve("downloaded"), sealed.key(), sealed.digest(),
                    temp.resolve("plain"))).isInstanceOf(AttachmentCorruptException.class);
            assertThat(temp.resolve("plain")).doesNotExist();

            assertThatThrownBy(() -> client.download(newId(), temp.resolve("other"), b -> { }))
                    .isInstanceOf(ConnectionException.class).hasMessageContaining("no longer on the server");
        }
    }

    private Path randomFile(String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        new SecureRandom().nextBytes(bytes);
        return Files.write(temp.resolve(name), bytes);
    }

    private static String newId() {
        byte[] id = new byte[32];
        new SecureRandom().nextBytes(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }
}
