// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.UserInputException;
import org.svyaz.server.SvyazServer;

/** A file sent with a message arrives whole, decrypted on the recipient's device; the server holds only ciphertext. */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AttachmentIT {
    @TempDir
    Path temp;

    @Test
    void aPhotoWithACaptionArrivesWholeAndTheServerCannotReadIt() throws Exception {
        Path data = temp.resolve("server");
        byte[] photo = new byte[5 * 1024 * 1024];
        new SecureRandom().nextBytes(photo);
        byte[] marker = "EXIF Moscow, Tverskaya 7".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(marker, 0, photo, 4096, marker.length);
        Path file = Files.write(temp.resolve("дача 2026.jpg"), photo);

        try (SvyazServer server = SvyazServer.start(TestServer.config(data));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.98", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.99", Clock.systemUTC())) {
            alice.send("bob.99", "the dacha", List.of(file));

            List<ReceivedMessage> received = receiveUntil(bob, body("the dacha"));
            ReceivedMessage message = received.stream().filter(body("the dacha")).findFirst().orElseThrow();
            assertThat(message.attachments()).hasSize(1);
            ReceivedAttachment attachment = message.attachments().getFirst();
            assertThat(attachment.error()).isEmpty();
            assertThat(attachment.fileName()).isEqualTo("дача 2026.jpg");
            assertThat(attachment.contentType()).isEqualTo("image/jpeg");
            assertThat(attachment.size()).isEqualTo(photo.length);
            Path saved = attachment.path().orElseThrow();
            assertThat(saved.startsWith(temp.resolve("b").resolve("bob.99").toAbsolutePath())).as(saved.toString()).isTrue();
            assertThat(saved.getFileName().toString()).doesNotContain("/").endsWith(".jpg");
            assertThat(Files.mismatch(file, saved)).isEqualTo(-1);

            try (Stream<Path> blobs = Files.list(data.resolve(SvyazServer.BLOB_DIRECTORY))) {
                List<Path> stored = blobs.toList();
                assertThat(stored).hasSize(1);
                assertThat(Files.size(stored.getFirst())).isEqualTo(photo.length + 28);
                assertThat(Bytes.indexOf(Files.readAllBytes(stored.getFirst()), marker)).as("plaintext on the server").isEqualTo(-1);
            }

            assertThatThrownBy(() -> alice.send("bob.99", "missing", List.of(temp.resolve("nope.jpg"))))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("nope.jpg");
        }
    }

    @Test
    void aVoiceNoteArrivesFlaggedAndTheSenderKeepsACopyUntilItIsDeletedForEveryone() throws Exception {
        byte[] recording = new byte[30_000];
        new SecureRandom().nextBytes(recording);
        Path file = Files.write(temp.resolve("voice-1.webm"), recording);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.94", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.95", Clock.systemUTC())) {
            long sent = alice.send("bob.95", "", List.of(file), java.util.Optional.empty(), true).timestamp();

            ReceivedMessage message = receiveUntil(bob, m -> !m.attachments().isEmpty()).stream()
                    .filter(m -> !m.attachments().isEmpty()).findFirst().orElseThrow();
            ReceivedAttachment heard = message.attachments().getFirst();
            assertThat(heard.voiceNote()).isTrue();
            assertThat(heard.contentType()).as("a recording, not a video").isEqualTo("audio/webm");
            assertThat(Files.mismatch(file, heard.path().orElseThrow())).isEqualTo(-1);
            assertThat(bob.conversation("alice.94").getLast().attachments().getFirst().voiceNote()).isTrue();

            // The sender's conversation shows the recording from a copy of its own, there after the original is gone.
            Files.delete(file);
            ReceivedAttachment kept = alice.conversation("bob.95").getLast().attachments().getFirst();
            assertThat(kept.voiceNote()).isTrue();
            Path copy = kept.path().orElseThrow();
            assertThat(copy.startsWith(temp.resolve("a").resolve("alice.94").toAbsolutePath())).as(copy.toString()).isTrue();
            assertThat(Files.readAllBytes(copy)).isEqualTo(recording);

            alice.remoteDelete("bob.95", sent);
            assertThat(copy).doesNotExist();
            assertThat(alice.conversation("bob.95").getLast().attachments()).isEmpty();
        }
    }

    @Test
    void aReceiveWhoseQuietTimeRunsOutDuringASlowDownloadWaitsForTheFile() throws Exception {
        Path file = Files.write(temp.resolve("scan.pdf"), new byte[200_000]);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.96", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.97", Clock.systemUTC())) {
            alice.send("bob.97", "first", List.of());
            alice.send("bob.97", "the scan", List.of(file));
            // A slow network: the download stalls for longer than receive's quiet time, once.
            java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
            bob.onTransferProgress((name, upload, done, total) -> {
                if (!upload && stalled.compareAndSet(false, true)) {
                    try {
                        Thread.sleep(2_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });

            List<ReceivedMessage> shown = new java.util.ArrayList<>();
            bob.receive(java.time.Duration.ofMillis(500), 10, shown::add);

            assertThat(stalled).isTrue();
            assertThat(shown).extracting(m -> m.body().orElse("")).containsExactly("first", "the scan");
            ReceivedAttachment attachment = shown.get(1).attachments().getFirst();
            assertThat(attachment.error()).as("shown before its file was in").isEmpty();
            assertThat(Files.mismatch(file, attachment.path().orElseThrow())).isEqualTo(-1);
        }
    }
}
