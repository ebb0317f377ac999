// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.svyaz.client.api.ReceivedAttachment;
import org.svyaz.client.api.TransferProgress;
import org.svyaz.client.attachments.AttachmentCipher;
import org.svyaz.client.attachments.AttachmentCipher.AttachmentCorruptException;
import org.svyaz.client.net.BlobClient;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.Route;
import org.svyaz.client.store.LocalMessages.StoredFile;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.content.AttachmentPointer;
import org.svyaz.protocol.content.BlobPart;

/**
 * Files sent with messages: encrypted on this device, uploaded as blobs along the connection's
 * route, pointed to from inside the end-to-end encrypted message; on the other side downloaded,
 * checked and decrypted into the account's {@code attachments} directory.
 */
final class Attachments {
    /** A transfer that moves no byte for this long is moved to a new connection. */
    private static final Duration QUIET = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Files a received message may carry; more are refused unfetched. Signal's apps take at most
     * 32 per message as well.
     */
    static final int MAX_FILES_PER_MESSAGE = 32;
    /**
     * The largest file a received message may announce: what the server's blob limit takes by
     * default ({@code server --max-attachment-mb}, 100 MiB, applied to the blob) less the
     * encryption's overhead. A larger one is refused unfetched.
     */
    static final long MAX_FILE_BYTES = 100L * 1024 * 1024 - AttachmentCipher.OVERHEAD_BYTES;
    /** Nonce and tag around a file's ciphertext in its blob. */
    private static final long BLOB_OVERHEAD = AttachmentCipher.OVERHEAD_BYTES;
    /** A blob id as {@link #upload} makes them: 32 random bytes in unpadded base64url. */
    private static final Pattern BLOB_ID = Pattern.compile("[A-Za-z0-9_-]{43}");
    /** A blob up to this size goes up whole; a larger one in parts, each on flows of its own. */
    static final long PART_THRESHOLD = 256 * 1024;
    /** The smallest part worth flows of its own. */
    static final long MIN_PART = 128 * 1024;
    /** Parts a sender makes at most (and so flows at once, on a throttled network). */
    static final int MAX_PARTS = 6;
    /** Parts a received file may come in; more are refused unfetched. Room for senders that make more. */
    static final int MAX_PARTS_RECEIVED = 16;
    /** Names drawn before giving up on a directory that has every one of them (never, in practice). */
    private static final int NAME_ATTEMPTS = 3;

    private Attachments() {}

    /**
     * Encrypts and uploads {@code file}; the pointer goes into the message. A blob larger than
     * {@link #PART_THRESHOLD} goes up in parts, each on flows of its own, all at once.
     */
    static AttachmentPointer upload(InviteLink server, Route route, DeviceCredentials credentials, long flowLimit,
                                    Path file, boolean voiceNote, Path workDir, TransferProgress progress)
            throws IOException, ConnectionException {
        Files.createDirectories(workDir);
        Path blob = Files.createTempFile(workDir, "upload-", ".blob");
        try {
            AttachmentCipher.Sealed sealed = AttachmentCipher.encrypt(file, blob);
            String name = file.getFileName().toString();
            long total = sealed.blobSize();
            AttachmentPointer.Builder pointer = AttachmentPointer.newBuilder();
            try (BlobClient client = new BlobClient(server, route, credentials, QUIET, flowLimit)) {
                List<Long> sizes = partSizes(total);
                if (sizes.size() == 1) {
                    String id = newId();
                    client.upload(id, blob, bytes -> progress.update(name, true, bytes, total));
                    pointer.setBlobId(id);
                } else {
                    pointer.addAllParts(uploadParts(client, blob, sizes,
                            bytes -> progress.update(name, true, bytes, total)));
                }
            }
            return pointer
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

    /**
     * How a blob of {@code total} bytes is cut: whole up to {@link #PART_THRESHOLD}, else into up
     * to {@link #MAX_PARTS} parts of at least {@link #MIN_PART} bytes, as even as can be.
     */
    static List<Long> partSizes(long total) {
        int count = total <= PART_THRESHOLD ? 1 : (int) Math.min(MAX_PARTS, (total + MIN_PART - 1) / MIN_PART);
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sizes.add(total / count + (i < total % count ? 1 : 0));
        }
        return sizes;
    }

    /** Uploads each part of {@code blob} as a blob of its own, all at once; the first failure ends it. */
    private static List<BlobPart> uploadParts(BlobClient client, Path blob, List<Long> sizes, LongConsumer progress)
            throws ConnectionException {
        AtomicLongArray sent = new AtomicLongArray(sizes.size());
        List<BlobPart> parts = new ArrayList<>();
        List<Future<?>> uploads = new ArrayList<>();
        try (ExecutorService flows = Executors.newVirtualThreadPerTaskExecutor()) {
            long from = 0;
            for (int i = 0; i < sizes.size(); i++) {
                BlobPart part = BlobPart.newBuilder().setBlobId(newId()).setSize(sizes.get(i)).build();
                parts.add(part);
                int index = i;
                long start = from;
                uploads.add(flows.submit(() -> {
                    client.upload(part.getBlobId(), blob, start, part.getSize(), bytes -> {
                        sent.set(index, bytes);
                        progress.accept(sum(sent));
                    });
                    return null;
                }));
                from += part.getSize();
            }
            awaitAll(uploads);
        }
        return parts;
    }

    private static long sum(AtomicLongArray values) {
        long sum = 0;
        for (int i = 0; i < values.length(); i++) {
            sum += values.get(i);
        }
        return sum;
    }

    /** Waits for every transfer; the first that failed ends the others and is thrown. */
    private static void awaitAll(List<Future<?>> transfers) throws ConnectionException {
        try {
            for (Future<?> transfer : transfers) {
                transfer.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ConnectionException failure ? failure
                    : new ConnectionException("The attachment transfer broke off: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("The attachment transfer was interrupted.", e);
        } finally {
            transfers.forEach(transfer -> transfer.cancel(true));
        }
    }

    /**
     * Copies each sent file next to the received ones, under a name no one else can choose (see
     * {@link #storedName}); an existing file is never replaced.
     */
    static List<ReceivedAttachment> keepSent(List<Path> files, List<AttachmentPointer> pointers, Path directory,
                                             long timestamp) {
        List<ReceivedAttachment> kept = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            AttachmentPointer pointer = pointers.get(i);
            Optional<Path> copy = Optional.empty();
            Optional<String> error = Optional.empty();
            try {
                Files.createDirectories(directory);
                copy = Optional.of(copyToNewName(files.get(i), directory, "sent-" + timestamp, i, pointer.getFileName()));
            } catch (IOException e) {
                error = Optional.of("sent, but no copy is kept on this device: " + e.getMessage());
            }
            kept.add(new ReceivedAttachment(copy, pointer.getFileName(), pointer.getSize(), pointer.getContentType(),
                    error, pointer.getVoiceNote(),
                    copy.isPresent() ? ReceivedAttachment.State.SAVED : ReceivedAttachment.State.FAILED));
        }
        return kept;
    }

    private static Path copyToNewName(Path file, Path directory, String prefix, int index, String fileName)
            throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                // Without REPLACE_EXISTING: a name already taken fails, and a new one is drawn.
                return Files.copy(file, directory.resolve(storedName(prefix, index, fileName)));
            } catch (FileAlreadyExistsException e) {
                if (attempt == NAME_ATTEMPTS - 1) {
                    throw e;
                }
            }
        }
    }

    /**
     * The name a file is stored under: {@code PREFIX-INDEX-RANDOM-NAME}. The prefix is the
     * message's timestamp, which its sender chose; the random part, drawn here and recorded in the
     * local store with the message, is what keeps one sender from naming another sender's file
     * (to overwrite it, or to have it deleted with their own message).
     */
    static String storedName(String prefix, int index, String fileName) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return prefix + "-" + index + "-" + HexFormat.of().formatHex(random) + "-" + safeName(fileName);
    }

    /**
     * How the files of a message just stored look: refused when the message carries more, or
     * larger, files than any message may; otherwise not downloaded yet, with the pointer kept so
     * they can be fetched (now when {@code fromContact}, else when the user asks).
     */
    static List<StoredFile> arrived(List<AttachmentPointer> pointers, boolean fromContact) {
        List<StoredFile> files = new ArrayList<>();
        for (AttachmentPointer pointer : pointers) {
            Optional<String> refusal = refusal(pointer, pointers.size());
            if (refusal.isPresent()) {
                files.add(new StoredFile(attachment(pointer, Optional.empty(), refusal,
                        ReceivedAttachment.State.REFUSED), Optional.empty()));
            } else {
                files.add(new StoredFile(attachment(pointer, Optional.empty(), Optional.of(fromContact
                        ? "not downloaded (the download was interrupted)"
                        : "not downloaded: the sender is someone you have not written to; fetch it on request"),
                        ReceivedAttachment.State.NOT_DOWNLOADED), Optional.of(pointer)));
            }
        }
        return files;
    }

    /** Why a file is refused before any byte of it is fetched; empty when it may be fetched. */
    private static Optional<String> refusal(AttachmentPointer pointer, int filesInMessage) {
        if (filesInMessage > MAX_FILES_PER_MESSAGE) {
            return Optional.of("refused: the message carries " + filesInMessage + " files, more than the "
                    + MAX_FILES_PER_MESSAGE + " a message may");
        }
        if (pointer.getSize() < 0 || pointer.getSize() > MAX_FILE_BYTES) {
            return Optional.of("refused: the file is announced as " + Long.toUnsignedString(pointer.getSize())
                    + " bytes, more than the " + MAX_FILE_BYTES + " a file may be");
        }
        if (pointer.getPartsCount() == 0) {
            return BLOB_ID.matcher(pointer.getBlobId()).matches() ? Optional.empty()
                    : Optional.of("refused: the file's blob id is malformed");
        }
        if (!pointer.getBlobId().isEmpty()) {
            return Optional.of("refused: the file is announced both whole and in parts");
        }
        if (pointer.getPartsCount() > MAX_PARTS_RECEIVED) {
            return Optional.of("refused: the file is announced in " + pointer.getPartsCount()
                    + " parts, more than the " + MAX_PARTS_RECEIVED + " a file may come in");
        }
        long sum = 0;
        for (BlobPart part : pointer.getPartsList()) {
            if (!BLOB_ID.matcher(part.getBlobId()).matches()) {
                return Optional.of("refused: a part of the file has a malformed blob id");
            }
            if (part.getSize() <= 0 || part.getSize() > MAX_FILE_BYTES + BLOB_OVERHEAD) {
                return Optional.of("refused: a part of the file has an impossible size");
            }
            sum += part.getSize(); // no overflow: a few parts of at most 100 MiB each
        }
        if (sum != pointer.getSize() + BLOB_OVERHEAD) {
            return Optional.of("refused: the file's parts do not add up to its size");
        }
        return Optional.empty();
    }

    /**
     * Fetches, checks and decrypts each file still waiting; one that fails says why and leaves
     * nothing behind. Files already saved, refused or failed are returned unchanged.
     */
    static List<StoredFile> download(InviteLink server, Optional<Route> route, DeviceCredentials credentials,
                                     long flowLimit, Path directory, long timestamp, List<StoredFile> files,
                                     TransferProgress progress) {
        List<StoredFile> result = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            StoredFile file = files.get(i);
            if (file.attachment().state() != ReceivedAttachment.State.NOT_DOWNLOADED || file.pointer().isEmpty()) {
                result.add(file);
            } else if (route.isEmpty()) {
                result.add(new StoredFile(attachment(file.pointer().get(), Optional.empty(),
                        Optional.of("not downloaded: no connection to the server"),
                        ReceivedAttachment.State.NOT_DOWNLOADED), file.pointer()));
            } else {
                result.add(fetch(server, route.get(), credentials, flowLimit, directory, timestamp, i, file.pointer().get(),
                        progress));
            }
        }
        return result;
    }

    private static StoredFile fetch(InviteLink server, Route route, DeviceCredentials credentials, long flowLimit,
                                    Path directory,
                                    long timestamp, int index, AttachmentPointer pointer, TransferProgress progress) {
        Path blob = null;
        try (BlobClient client = new BlobClient(server, route, credentials, QUIET, flowLimit)) {
            Files.createDirectories(directory);
            blob = Files.createTempFile(directory, ".download-", ".blob");
            long total = pointer.getSize() + BLOB_OVERHEAD;
            LongConsumer got = bytes -> progress.update(pointer.getFileName(), false, bytes, total);
            if (pointer.getPartsCount() == 0) {
                client.download(pointer.getBlobId(), blob, total, got);
            } else {
                // With a known flow limit each part already comes on several flows at once.
                downloadParts(client, pointer.getPartsList(), blob, flowLimit > 0 ? 1 : MAX_PARTS, got);
            }
            Path target = decryptToNewName(blob, pointer, directory, Long.toString(timestamp), index);
            return new StoredFile(attachment(pointer, Optional.of(target), Optional.empty(),
                    ReceivedAttachment.State.SAVED), Optional.empty());
        } catch (ConnectionException e) {
            // Kept fetchable: the network may let it through later.
            return new StoredFile(attachment(pointer, Optional.empty(), Optional.of("not downloaded: " + e.getMessage()),
                    ReceivedAttachment.State.NOT_DOWNLOADED), Optional.of(pointer));
        } catch (AttachmentCorruptException e) {
            return new StoredFile(attachment(pointer, Optional.empty(), Optional.of("refused: " + e.getMessage()),
                    ReceivedAttachment.State.FAILED), Optional.empty());
        } catch (IOException e) {
            return new StoredFile(attachment(pointer, Optional.empty(), Optional.of("not saved: " + e.getMessage()),
                    ReceivedAttachment.State.FAILED), Optional.empty());
        } finally {
            try {
                if (blob != null) {
                    Files.deleteIfExists(blob);
                }
            } catch (IOException ignored) {
                // A leftover ciphertext is harmless; it is never read again.
            }
        }
    }

    /**
     * Fetches the parts of a blob, {@code atOnce} at a time, each into a file of its own beside
     * {@code blob}, then joins them into it in order.
     */
    private static void downloadParts(BlobClient client, List<BlobPart> parts, Path blob, int atOnce,
                                      LongConsumer progress) throws IOException, ConnectionException {
        AtomicLongArray got = new AtomicLongArray(parts.size());
        List<Path> files = new ArrayList<>();
        try {
            for (int i = 0; i < parts.size(); i++) {
                files.add(Files.createTempFile(blob.getParent(), ".download-part-", ".blob"));
            }
            Semaphore turns = new Semaphore(atOnce);
            List<Future<?>> downloads = new ArrayList<>();
            try (ExecutorService flows = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < parts.size(); i++) {
                    int index = i;
                    downloads.add(flows.submit(() -> {
                        turns.acquire();
                        try {
                            client.download(parts.get(index).getBlobId(), files.get(index), parts.get(index).getSize(),
                                    bytes -> {
                                        got.set(index, bytes);
                                        progress.accept(sum(got));
                                    });
                        } finally {
                            turns.release();
                        }
                        return null;
                    }));
                }
                awaitAll(downloads);
            }
            try (FileChannel out = FileChannel.open(blob, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (Path file : files) {
                    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                        long size = in.size();
                        for (long done = 0; done < size; ) {
                            done += in.transferTo(done, size - done, out);
                        }
                    }
                }
            }
        } finally {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static Path decryptToNewName(Path blob, AttachmentPointer pointer, Path directory, String prefix, int index)
            throws IOException, AttachmentCorruptException {
        for (int attempt = 0; ; attempt++) {
            Path target = directory.resolve(storedName(prefix, index, pointer.getFileName()));
            try {
                AttachmentCipher.decrypt(blob, pointer.getKey().toByteArray(), pointer.getDigest().toByteArray(), target);
                return target;
            } catch (FileAlreadyExistsException e) {
                if (attempt == NAME_ATTEMPTS - 1) {
                    throw e;
                }
            }
        }
    }

    private static ReceivedAttachment attachment(AttachmentPointer pointer, Optional<Path> path, Optional<String> error,
                                                 ReceivedAttachment.State state) {
        return new ReceivedAttachment(path, pointer.getFileName(), pointer.getSize(), pointer.getContentType(), error,
                pointer.getVoiceNote(), state);
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
