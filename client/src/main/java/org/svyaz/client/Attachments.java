// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.attachments.AttachmentCipher;
import org.svyaz.client.attachments.AttachmentCipher.AttachmentCorruptException;
import org.svyaz.client.net.BlobClient;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.Route;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.content.AttachmentPointer;

/**
 * Files sent with messages: encrypted on this device, uploaded as blobs along the connection's
 * route, pointed to from inside the end-to-end encrypted message; on the other side downloaded,
 * checked and decrypted into the account's {@code attachments} directory.
 */
final class Attachments {
    /** A transfer that moves no byte for this long is moved to a new connection. */
    private static final Duration QUIET = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Attachments() {}

    /** Encrypts and uploads {@code file}; the pointer goes into the message. */
    static AttachmentPointer upload(InviteLink server, Route route, DeviceCredentials credentials, Path file,
                                    boolean voiceNote, Path workDir, TransferProgress progress)
            throws IOException, ConnectionException {
        Files.createDirectories(workDir);
        Path blob = Files.createTempFile(workDir, "upload-", ".blob");
        try {
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(file, blob);
            String id = newId();
            String name = file.getFileName().toString();
            long total = sealed.blobSize();
            try (BlobClient client = new BlobClient(server, route, credentials, QUIET)) {
                client.upload(id, blob, bytes -> progress.update(name, true, bytes, total));
            }
            return AttachmentPointer.newBuilder()
                    .setBlobId(id)
                    .setKey(ByteString.copyFrom(sealed.key()))
                    .setDigest(ByteString.copyFrom(sealed.digest()))
                    .setSize(sealed.plaintextSize())
                    .setFileName(name)
                    .setContentType(contentType(file, voiceNote))
                    .setVoiceNote(voiceNote)
                    .build();
        } finally {
            Files.deleteIfExists(blob);
        }
    }

    /** Copies each sent file next to the received ones, named after the message's timestamp. */
    static List<ReceivedAttachment> keepSent(List<Path> files, List<AttachmentPointer> pointers, Path directory,
                                             long timestamp) {
        List<ReceivedAttachment> kept = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            AttachmentPointer pointer = pointers.get(i);
            Path copy = directory.resolve("sent-" + timestamp + "-" + i + "-" + safeName(pointer.getFileName()));
            Optional<String> error = Optional.empty();
            try {
                Files.createDirectories(directory);
                Files.copy(files.get(i), copy, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                error = Optional.of("sent, but no copy is kept on this device: " + e.getMessage());
            }
            kept.add(new ReceivedAttachment(error.isEmpty() ? Optional.of(copy) : Optional.empty(),
                    pointer.getFileName(), pointer.getSize(), pointer.getContentType(), error, pointer.getVoiceNote()));
        }
        return kept;
    }

    /** How the files of a just-stored message look until they are fetched. */
    static List<ReceivedAttachment> pending(List<AttachmentPointer> pointers) {
        return pointers.stream().map(p -> new ReceivedAttachment(Optional.empty(), p.getFileName(), p.getSize(),
                p.getContentType(), Optional.of("not downloaded (the download was interrupted)"), p.getVoiceNote()))
                .toList();
    }

    /** Fetches, checks and decrypts each file; one that fails says why and leaves nothing behind. */
    static List<ReceivedAttachment> download(InviteLink server, Optional<Route> route, DeviceCredentials credentials,
                                             Path directory, long timestamp, List<AttachmentPointer> pointers,
                                             TransferProgress progress) {
        List<ReceivedAttachment> received = new ArrayList<>();
        for (int i = 0; i < pointers.size(); i++) {
            AttachmentPointer pointer = pointers.get(i);
            Optional<String> error = Optional.empty();
            Path target = directory.resolve(timestamp + "-" + i + "-" + safeName(pointer.getFileName()));
            if (route.isEmpty()) {
                error = Optional.of("not downloaded: no connection to the server");
            } else {
                error = fetch(server, route.get(), credentials, directory, pointer, target, progress);
            }
            received.add(new ReceivedAttachment(error.isEmpty() ? Optional.of(target) : Optional.empty(),
                    pointer.getFileName(), pointer.getSize(), pointer.getContentType(), error, pointer.getVoiceNote()));
        }
        return received;
    }

    private static Optional<String> fetch(InviteLink server, Route route, DeviceCredentials credentials, Path directory,
                                          AttachmentPointer pointer, Path target, TransferProgress progress) {
        Path blob = directory.resolve(".download-" + pointer.getBlobId());
        try (BlobClient client = new BlobClient(server, route, credentials, QUIET)) {
            Files.createDirectories(directory);
            // The blob is the file plus nonce and tag.
            long total = pointer.getSize() + 28;
            client.download(pointer.getBlobId(), blob, bytes -> progress.update(pointer.getFileName(), false, bytes, total));
            AttachmentCipher.decrypt(blob, pointer.getKey().toByteArray(), pointer.getDigest().toByteArray(), target);
            return Optional.empty();
        } catch (ConnectionException e) {
            return Optional.of("not downloaded: " + e.getMessage());
        } catch (AttachmentCorruptException e) {
            return Optional.of("refused: " + e.getMessage());
        } catch (IOException e) {
            return Optional.of("not saved: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(blob);
            } catch (IOException ignored) {
                // A leftover ciphertext is harmless; it is overwritten by the next try.
            }
        }
    }

    /** The sender's file name reduced to characters safe in any file system, never a path. */
    static String safeName(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "");
        if (safe.isEmpty()) {
            safe = "file";
        }
        return safe.length() > 100 ? safe.substring(safe.length() - 100) : safe;
    }

    private static String contentType(Path file, boolean voiceNote) {
        String name = file.getFileName().toString();
        String guessed = URLConnection.guessContentTypeFromName(name);
        if (voiceNote && (guessed == null || !guessed.startsWith("audio/"))) {
            // Browsers record voice into WebM or MP4 containers, which by name alone pass for video.
            String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            switch (extension) {
                case "webm" -> guessed = "audio/webm";
                case "ogg", "oga", "opus" -> guessed = "audio/ogg";
                case "mp4", "m4a" -> guessed = "audio/mp4";
                default -> { }
            }
        }
        return guessed == null ? "application/octet-stream" : guessed;
    }

    private static String newId() {
        byte[] id = new byte[32];
        RANDOM.nextBytes(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }
}
