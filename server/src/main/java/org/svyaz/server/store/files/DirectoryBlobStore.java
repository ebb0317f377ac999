// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.svyaz.server.store.BlobId;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.StoreException;

/**
 * Blobs as files in one directory: {@code ID} when complete; while the upload runs, its bytes in
 * {@code ID.part} and its announced total in {@code ID.length} (decimal), so that a resume after a
 * restart knows it without a database. Every name derives from the id alone: finding what is stored
 * under an id never lists the directory, which holds every attachment of the server (a {@code HEAD}
 * of a missing id used to list it all, once per request). Completion is an atomic rename, so a
 * reader never sees half a blob. A directory shared by the nodes of a cluster serves them all.
 *
 * <p>Before 2026-12 an unfinished upload was one file, {@code ID.TOTAL.part}; {@link #open} renames
 * those once.
 */
public final class DirectoryBlobStore implements BlobStore {
    private static final String PART = ".part";
    private static final String LENGTH = ".length";

    /** How the directory is listed: only by expiry and by the rename at start-up, never per request. */
    @FunctionalInterface
    interface Listing {
        DirectoryStream<Path> list(Path directory) throws IOException;
    }

    private final Path directory;
    private final Listing listing;
    /** Ids with an upload running in this process. */
    /** The upload running for each id; resume() takes over from one under this map's lock. */
    private final Map<BlobId, FileUpload> uploading = new ConcurrentHashMap<>();

    private DirectoryBlobStore(Path directory, Listing listing) {
        this.directory = directory;
        this.listing = listing;
    }

    public static DirectoryBlobStore open(Path directory) throws StoreException {
        return open(directory, Files::newDirectoryStream);
    }

    static DirectoryBlobStore open(Path directory, Listing listing) throws StoreException {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create the blob directory", e);
        }
        DirectoryBlobStore store = new DirectoryBlobStore(directory, listing);
        store.renameOldParts();
        return store;
    }

    /** {@code ID.TOTAL.part} (the old layout) becomes {@code ID.part} and {@code ID.length}. */
    private void renameOldParts() throws StoreException {
        try (DirectoryStream<Path> entries = listing.list(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                int dot = name.indexOf('.');
                int secondDot = name.indexOf('.', dot + 1);
                if (!name.endsWith(PART) || dot < 0 || secondDot != name.length() - PART.length()
                        || BlobId.parse(name.substring(0, dot)).isEmpty()) {
                    continue;
                }
                long total;
                try {
                    total = Long.parseLong(name.substring(dot + 1, secondDot));
                } catch (NumberFormatException e) {
                    continue;
                }
                String id = name.substring(0, dot);
                writeLength(id, total);
                Files.move(entry, directory.resolve(id + PART), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new StoreException("cannot rename unfinished uploads to the new layout", e);
        }
    }

    @Override
    public Optional<Status> status(BlobId id) throws StoreException {
        try {
            Path complete = directory.resolve(id.value());
            if (Files.exists(complete)) {
                long size = Files.size(complete);
                return Optional.of(new Status(size, size, true));
            }
            Path length = directory.resolve(id.value() + LENGTH);
            if (!Files.exists(length)) {
                return Optional.empty();
            }
            long total = readLength(length);
            if (total < 1) {
                return Optional.empty(); // torn by a crash as the upload began; a new upload rewrites it
            }
            Path part = directory.resolve(id.value() + PART);
            return Optional.of(new Status(Files.exists(part) ? Files.size(part) : 0, total, false));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted or completed between the checks
        } catch (IOException e) {
            throw new StoreException("cannot read the blob directory", e);
        }
    }

    @Override
    public BlobUpload resume(BlobId id, long total, long offset) throws StoreException, BlobConflictException {
        if (total < 1 || offset < 0 || offset >= total) {
            throw new BlobConflictException("the upload must have bytes left to send", Math.max(0, offset));
        }
        synchronized (uploading) {
            FileUpload running = uploading.get(id);
            if (running != null) {
                // Waits for a write under way, so the part's length below is final.
                running.close();
            }
            return start(id, total, offset);
        }
    }

    private FileUpload start(BlobId id, long total, long offset) throws StoreException, BlobConflictException {
        try {
            Optional<Status> existing = status(id);
            long received = existing.map(Status::received).orElse(0L);
            if (existing.isPresent() && existing.get().complete()) {
                throw new BlobConflictException("the blob is already complete", received);
            }
            if (existing.isPresent() && existing.get().total() != total) {
                throw new BlobConflictException("the blob was announced with another length", received);
            }
            if (offset != received) {
                throw new BlobConflictException("the upload must continue at byte " + received, received);
            }
            Path part = directory.resolve(id.value() + PART);
            FileChannel channel;
            if (existing.isEmpty()) {
                // The length first: a part without its length would be a blob of unknown size.
                writeLength(id.value(), total);
                channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
            } else {
                channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            }
            FileUpload upload = new FileUpload(id, part, total, received, channel);
            uploading.put(id, upload);
            return upload;
        } catch (IOException e) {
            throw new StoreException("cannot open the blob for writing", e);
        }
    }

    @Override
    public Optional<FileChannel> open(BlobId id) throws StoreException {
        try {
            return Optional.of(FileChannel.open(directory.resolve(id.value()), StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot open the blob", e);
        }
    }

    @Override
    public int deleteExpired(Instant completeBefore, Instant partialBefore) throws StoreException {
        int deleted = 0;
        try (DirectoryStream<Path> entries = listing.list(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                int dot = name.indexOf('.');
                String id = dot < 0 ? name : name.substring(0, dot);
                String suffix = dot < 0 ? "" : name.substring(dot);
                if (BlobId.parse(id).isEmpty() || uploading.containsKey(new BlobId(id))) {
                    continue;
                }
                Instant written;
                try {
                    written = Files.getLastModifiedTime(entry).toInstant();
                } catch (NoSuchFileException e) {
                    continue; // a length file this loop deleted with its part, listed before it went
                }
                switch (suffix) {
                    case "" -> deleted += written.isBefore(completeBefore) && Files.deleteIfExists(entry) ? 1 : 0;
                    case PART -> {
                        if (written.isBefore(partialBefore) && Files.deleteIfExists(entry)) {
                            Files.deleteIfExists(directory.resolve(id + LENGTH));
                            deleted++;
                        }
                    }
                    // A length left alone: its upload completed or expired before a crash let it go.
                    case LENGTH -> {
                        if (written.isBefore(partialBefore) && !Files.exists(directory.resolve(id + PART))) {
                            Files.deleteIfExists(entry);
                        }
                    }
                    default -> { }
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot clean the blob directory", e);
        }
        return deleted;
    }

    private void writeLength(String id, long total) throws IOException {
        Files.writeString(directory.resolve(id + LENGTH), Long.toString(total), StandardCharsets.US_ASCII);
    }

    /** The announced total, or -1 when the file does not hold a number. */
    private static long readLength(Path length) throws IOException {
        try {
            return Long.parseLong(Files.readString(length, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private final class FileUpload implements BlobUpload {
        private final BlobId id;
        private final Path part;
        private final long total;
        private final FileChannel channel;
        private long received;
        private boolean closed;

        FileUpload(BlobId id, Path part, long total, long received, FileChannel channel) {
            this.id = id;
            this.part = part;
            this.total = total;
            this.received = received;
            this.channel = channel;
        }

        @Override
        public synchronized void write(ByteBuffer bytes) throws StoreException, BlobConflictException {
            if (closed) {
                throw new StoreException("the upload was taken over by a newer one", null);
            }
            if (received + bytes.remaining() > total) {
                throw new BlobConflictException("more bytes than the announced " + total, received);
            }
            try {
                while (bytes.hasRemaining()) {
                    received += channel.write(bytes);
                }
            } catch (IOException e) {
                throw new StoreException("cannot write the blob (disk full?)", e);
            }
        }

        @Override
        public long received() {
            return received;
        }

        @Override
        public synchronized Status finish() throws StoreException {
            if (closed) {
                throw new StoreException("the upload was taken over by a newer one", null);
            }
            try {
                channel.force(true);
                if (received == total) {
                    channel.close();
                    Files.move(part, directory.resolve(id.value()), StandardCopyOption.ATOMIC_MOVE);
                    Files.deleteIfExists(directory.resolve(id.value() + LENGTH));
                    return new Status(received, total, true);
                }
                return new Status(received, total, false);
            } catch (IOException e) {
                throw new StoreException("cannot store the blob", e);
            }
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing more can be done; the part stays for a resume or for expiry.
            } finally {
                uploading.remove(id, this);
            }
        }
    }
}
