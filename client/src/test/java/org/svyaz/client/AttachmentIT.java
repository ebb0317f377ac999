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
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.content.Delete;
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
            bob.send("alice.98", "send me the photo", List.of()); // a contact's files arrive unasked
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
                // A file this large goes up in parts, each a blob of its own, on flows of their own at once.
                assertThat(stored).hasSize(Attachments.MAX_PARTS);
                long total = 0;
                for (Path part : stored) {
                    total += Files.size(part);
                    assertThat(Bytes.indexOf(Files.readAllBytes(part), marker)).as("plaintext on the server").isEqualTo(-1);
                }
                assertThat(total).isEqualTo(photo.length + 28);
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
            bob.send("alice.94", "say it", List.of());
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
            // A slow network: the download stalls for longer than receive's quiet time, once. Set before
            // anything is sent: bob is connected since he wrote first, so the push and its download
            // may begin before receive() below does.
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
            bob.send("alice.96", "the scan, please", List.of());
            alice.send("bob.97", "first", List.of());
            alice.send("bob.97", "the scan", List.of(file));

            List<ReceivedMessage> shown = new java.util.ArrayList<>();
            bob.receive(java.time.Duration.ofMillis(500), 10, shown::add);

            assertThat(stalled).isTrue();
            assertThat(shown).extracting(m -> m.body().orElse("")).containsExactly("first", "the scan");
            ReceivedAttachment attachment = shown.get(1).attachments().getFirst();
            assertThat(attachment.error()).as("shown before its file was in").isEmpty();
            assertThat(Files.mismatch(file, attachment.path().orElseThrow())).isEqualTo(-1);
        }
    }

    /**
     * Issue #16, point 4: a file whose download is slow holds back no message sent after it. Once
     * the download ran inside the push that brought the file, and the pushes after it waited.
     */
    @Test
    void aSlowFileHoldsBackNoMessageSentAfterIt() throws Exception {
        Path file = Files.write(temp.resolve("video.mp4"), new byte[100_000]);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.82", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.83", Clock.systemUTC())) {
            // The download stays stuck until the text after the file was shown (or 20 s passed).
            java.util.concurrent.CountDownLatch textShown = new java.util.concurrent.CountDownLatch(1);
            bob.onTransferProgress((name, upload, done, total) -> {
                if (!upload) {
                    try {
                        textShown.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            bob.send("alice.82", "send the video", List.of());
            alice.send("bob.83", "the video", List.of(file));
            alice.send("bob.83", "sent after the video", List.of());

            List<ReceivedMessage> first = new java.util.ArrayList<>();
            bob.receive(java.time.Duration.ofSeconds(10), 1, first::add);
            assertThat(first).extracting(m -> m.body().orElse("")).as("shown while the file is still coming")
                    .containsExactly("sent after the video");
            textShown.countDown();

            ReceivedMessage video = receiveUntil(bob, body("the video")).stream().filter(body("the video"))
                    .findFirst().orElseThrow();
            assertThat(video.attachments().getFirst().state()).isEqualTo(ReceivedAttachment.State.SAVED);
            assertThat(Files.mismatch(file, video.attachments().getFirst().path().orElseThrow())).isEqualTo(-1);
        }
    }

    /** A pointer to parts that a sender could not have made is refused before any byte is fetched. */
    @Test
    void partsThatCannotMakeTheFileAreRefusedUnfetched() throws Exception {
        Path file = Files.write(temp.resolve("archive.zip"), new byte[600_000]);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.80", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.81", Clock.systemUTC())) {
            alice.send("bob.81", "files welcome", List.of());
            AttachmentPointer pointer = bob.sender().uploadAttachments(List.of(file), false).getFirst();
            assertThat(pointer.getPartsCount()).as("600 KB goes up in parts").isEqualTo(5);
            assertThat(pointer.getBlobId()).isEmpty();
            long now = System.currentTimeMillis();
            org.svyaz.protocol.content.BlobPart first = pointer.getParts(0);
            sendPointers(bob, alice, now, "short", List.of(pointer.toBuilder().removeParts(4).build()));
            sendPointers(bob, alice, now + 1, "bad id", List.of(pointer.toBuilder()
                    .setParts(0, first.toBuilder().setBlobId("../../etc/passwd")).build()));
            sendPointers(bob, alice, now + 2, "many", List.of(pointer.toBuilder().clearParts()
                    .addAllParts(java.util.Collections.nCopies(Attachments.MAX_PARTS_RECEIVED + 1,
                            first.toBuilder().setSize(1).build())).build()));
            sendPointers(bob, alice, now + 3, "both", List.of(pointer.toBuilder().setBlobId(first.getBlobId()).build()));
            sendPointers(bob, alice, now + 4, "huge part", List.of(pointer.toBuilder()
                    .setParts(0, first.toBuilder().setSize(Long.MAX_VALUE)).build()));
            sendPointers(bob, alice, now + 5, "whole", List.of(pointer));

            List<ReceivedMessage> received = receiveUntil(alice, body("whole"));
            java.util.Map<String, String> refusals = java.util.Map.of("short", "do not add up", "bad id", "malformed",
                    "many", "more than the 16", "both", "both whole and in parts", "huge part", "impossible size");
            refusals.forEach((message, why) -> {
                ReceivedAttachment refused = received.stream().filter(body(message)).findFirst().orElseThrow()
                        .attachments().getFirst();
                assertThat(refused.state()).as(message).isEqualTo(ReceivedAttachment.State.REFUSED);
                assertThat(refused.error().orElseThrow()).as(message).contains(why);
            });
            ReceivedAttachment whole = received.stream().filter(body("whole")).findFirst().orElseThrow()
                    .attachments().getFirst();
            assertThat(whole.state()).isEqualTo(ReceivedAttachment.State.SAVED);
            assertThat(Files.mismatch(file, whole.path().orElseThrow())).isEqualTo(-1);
            assertThat(savedFiles("alice.80")).hasSize(1);
        }
    }

    /**
     * Bob and Carol each send Alice a file under the same timestamp and file name, as a modified
     * client may: once both files were stored under {@code TIMESTAMP-INDEX-NAME}, and Carol's
     * replaced Bob's, and her delete for everyone removed it.
     */
    @Test
    void aSenderCanNeitherOverwriteNorDeleteAnotherSendersFile() throws Exception {
        byte[] bobsBytes = "bob's contract".getBytes(StandardCharsets.UTF_8);
        byte[] carolsBytes = "carol's forgery".getBytes(StandardCharsets.UTF_8);
        Path bobsFile = Files.write(Files.createDirectories(temp.resolve("bob-files")).resolve("contract.pdf"), bobsBytes);
        Path carolsFile = Files.write(Files.createDirectories(temp.resolve("carol-files")).resolve("contract.pdf"),
                carolsBytes);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.90", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.91", Clock.systemUTC());
             SvyazClient carol = SvyazClient.register(temp.resolve("c"), server.inviteLink(), "carol.92", Clock.systemUTC())) {
            alice.send("bob.91", "send the contract", List.of());
            alice.send("carol.92", "send yours too", List.of());
            long timestamp = System.currentTimeMillis();
            sendAt(bob, alice, timestamp, "signed", List.of(bobsFile));
            sendAt(carol, alice, timestamp, "mine", List.of(carolsFile));

            List<ReceivedMessage> received = receiveUntil(alice, body("mine"));
            ReceivedAttachment bobs = received.stream().filter(body("signed")).findFirst().orElseThrow()
                    .attachments().getFirst();
            ReceivedAttachment carols = received.stream().filter(body("mine")).findFirst().orElseThrow()
                    .attachments().getFirst();
            assertThat(bobs.path()).isPresent().isNotEqualTo(carols.path());
            assertThat(Files.readAllBytes(bobs.path().orElseThrow())).as("Bob's file at Alice").isEqualTo(bobsBytes);
            assertThat(Files.readAllBytes(carols.path().orElseThrow())).isEqualTo(carolsBytes);

            // Carol withdraws "her" message: only her own file goes.
            carol.sender().sendToContact("alice.90", alice.accountId(), Content.newBuilder().setDataMessage(
                    DataMessage.newBuilder().setTimestamp(timestamp + 1)
                            .setDelete(Delete.newBuilder().setTargetSentTimestamp(timestamp))), timestamp + 1);
            receiveUntil(alice, m -> m.signal().isPresent());
            assertThat(carols.path().orElseThrow()).doesNotExist();
            assertThat(Files.readAllBytes(bobs.path().orElseThrow())).as("Bob's file after Carol's delete")
                    .isEqualTo(bobsBytes);
            assertThat(alice.conversation("bob.91")).anySatisfy(m -> assertThat(m.attachments()).hasSize(1));
        }
    }

    @Test
    void aStrangersFileWaitsUntilAskedForWhileAContactsArrivesAtOnce() throws Exception {
        byte[] flyer = new byte[50_000];
        new SecureRandom().nextBytes(flyer);
        Path file = Files.write(temp.resolve("flyer.png"), flyer);
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.86", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.87", Clock.systemUTC())) {
            bob.send("alice.86", "look at this", List.of(file));

            ReceivedMessage fromStranger = receiveUntil(alice, body("look at this")).stream()
                    .filter(body("look at this")).findFirst().orElseThrow();
            ReceivedAttachment waiting = fromStranger.attachments().getFirst();
            assertThat(waiting.state()).isEqualTo(ReceivedAttachment.State.NOT_DOWNLOADED);
            assertThat(waiting.path()).isEmpty();
            assertThat(waiting.error().orElseThrow()).contains("not written to");
            assertThat(savedFiles("alice.86")).as("nothing of a stranger's is fetched unasked").isEmpty();

            ReceivedAttachment fetched = alice.fetchAttachments(fromStranger.localId()).getFirst();
            assertThat(fetched.state()).isEqualTo(ReceivedAttachment.State.SAVED);
            assertThat(fetched.error()).isEmpty();
            assertThat(Files.readAllBytes(fetched.path().orElseThrow())).isEqualTo(flyer);
            assertThat(alice.conversation("bob.87").getFirst().attachments().getFirst().path()).isEqualTo(fetched.path());
            assertThatThrownBy(() -> alice.fetchAttachments(fromStranger.localId() + 1000))
                    .isInstanceOf(UserInputException.class);

            // Once Alice wrote to Bob, his files come with his messages.
            alice.send("bob.87", "thanks", List.of());
            bob.send("alice.86", "another", List.of(file));
            ReceivedAttachment fromContact = receiveUntil(alice, body("another")).stream()
                    .filter(body("another")).findFirst().orElseThrow().attachments().getFirst();
            assertThat(fromContact.state()).isEqualTo(ReceivedAttachment.State.SAVED);
            assertThat(Files.readAllBytes(fromContact.path().orElseThrow())).isEqualTo(flyer);
        }
    }

    @Test
    void tooManyOrTooLargeFilesAreRefusedUnfetchedAndTheNextMessagesStillArrive() throws Exception {
        Path file = Files.write(temp.resolve("note.txt"), "a note".getBytes(StandardCharsets.UTF_8));
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.84", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.85", Clock.systemUTC())) {
            alice.send("bob.85", "files welcome", List.of()); // even a contact's files have limits
            AttachmentPointer pointer = bob.sender().uploadAttachments(List.of(file), false).getFirst();
            long now = System.currentTimeMillis();
            sendPointers(bob, alice, now, "many", java.util.Collections.nCopies(Attachments.MAX_FILES_PER_MESSAGE + 1,
                    pointer));
            sendPointers(bob, alice, now + 1, "huge",
                    List.of(pointer.toBuilder().setSize(Attachments.MAX_FILE_BYTES + 1).build()));
            bob.send("alice.84", "and a normal one", List.of(file));

            List<ReceivedMessage> received = receiveUntil(alice, body("and a normal one"));
            assertThat(received.stream().filter(body("many")).findFirst().orElseThrow().attachments())
                    .hasSize(Attachments.MAX_FILES_PER_MESSAGE + 1)
                    .allSatisfy(a -> {
                        assertThat(a.state()).isEqualTo(ReceivedAttachment.State.REFUSED);
                        assertThat(a.path()).isEmpty();
                        assertThat(a.error().orElseThrow()).contains("more than the 32");
                    });
            ReceivedAttachment huge = received.stream().filter(body("huge")).findFirst().orElseThrow()
                    .attachments().getFirst();
            assertThat(huge.state()).isEqualTo(ReceivedAttachment.State.REFUSED);
            assertThat(huge.error().orElseThrow()).contains("a file may be");
            ReceivedMessage normal = received.stream().filter(body("and a normal one")).findFirst().orElseThrow();
            assertThat(normal.attachments().getFirst().state()).isEqualTo(ReceivedAttachment.State.SAVED);
            assertThat(savedFiles("alice.84")).hasSize(1);
            // A refused file cannot be fetched on request either.
            long many = received.stream().filter(body("many")).findFirst().orElseThrow().localId();
            assertThat(alice.fetchAttachments(many)).allSatisfy(a ->
                    assertThat(a.state()).isEqualTo(ReceivedAttachment.State.REFUSED));
            assertThat(savedFiles("alice.84")).hasSize(1);
        }
    }

    /** Sends {@code files} under a timestamp the sender picks, as a modified client can. */
    private static void sendAt(SvyazClient from, SvyazClient to, long timestamp, String body, List<Path> files)
            throws Exception {
        sendPointers(from, to, timestamp, body, from.sender().uploadAttachments(files, false));
    }

    private static void sendPointers(SvyazClient from, SvyazClient to, long timestamp, String body,
                                     List<AttachmentPointer> pointers) throws Exception {
        from.sender().sendToContact(to.username(), to.accountId(), Content.newBuilder().setDataMessage(
                DataMessage.newBuilder().setTimestamp(timestamp).setBody(body).addAllAttachments(pointers)), timestamp);
    }

    /** The files saved in an account's attachment folder (no download leftovers). */
    private List<Path> savedFiles(String username) throws Exception {
        Path folder = temp.resolve("a").resolve(username).resolve(MessageSender.ATTACHMENT_DIRECTORY);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> !f.getFileName().toString().startsWith(".")
                    && !f.getFileName().toString().startsWith("sent-")).toList();
        }
    }
}
