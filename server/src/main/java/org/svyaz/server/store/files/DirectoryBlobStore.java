// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.svyaz.server.store.BlobId;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.StoreException;

/**
 * Blobs as files in one directory: {@code ID} when complete, {@code ID.TOTAL.part} while the upload
 * runs. The total lives in the name so that a resume after a restart knows it without a database;
 * completion is an atomic rename, so a reader never sees half a blob. A directory shared by the
 * nodes of a cluster serves them all.
 */
public final class DirectoryBlobStore implements BlobStore {
    private static final String PART = ".part";

    private final Path directory;
    /** Ids with an upload running in this process. */
    private final Set<BlobId> uploading = ConcurrentHashMap.newKeySet();

    private DirectoryBlobStore(Path directory) {
        this.directory = directory;
    }

    public static DirectoryBlobStore open(Path directory) throws StoreException {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create the blob directory", e);
        }
        return new DirectoryBlobStore(directory);
    }

    @Override
    public Optional<Status> status(BlobId id) throws StoreException {
        try {
            Path complete = directory.resolve(id.value());
            if (Files.exists(complete)) {
                long size = Files.size(complete);
                return Optional.of(new Status(size, size, true));
            }
            Optional<Path> part = partOf(id);
            if (part.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Status(Files.size(part.get()), totalOf(part.get()), false));
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
        if (!uploading.add(id)) {
            throw new BlobConflictException("another upload of this blob is running", 0);
        }
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
            Path part = directory.resolve(id.value() + "." + total + PART);
            FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            return new FileUpload(id, part, total, received, channel);
        } catch (IOException e) {
            uploading.remove(id);
            throw new StoreException("cannot open the blob for writing", e);
        } catch (StoreException | BlobConflictException | RuntimeException e) {
            uploading.remove(id);
            throw e;
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
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean partial = name.endsWith(PART);
                String id = partial ? name.substring(0, name.indexOf('.')) : name;
                if (BlobId.parse(id).isEmpty() || uploading.contains(new BlobId(id))) {
                    continue;
                }
                Instant written = Files.getLastModifiedTime(entry).toInstant();
                if (written.isBefore(partial ? partialBefore : completeBefore) && Files.deleteIfExists(entry)) {
                    deleted++;
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot clean the blob directory", e);
        }
        return deleted;
    }

    private Optional<Path> partOf(BlobId id) throws IOException {
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(directory, id.value() + ".*" + PART)) {
            for (Path part : parts) {
                return Optional.of(part);
            }
        }
        return Optional.empty();
    }

    private static long totalOf(Path part) {
        String name = part.getFileName().toString();
        return Long.parseLong(name.substring(name.indexOf('.') + 1, name.length() - PART.length()));
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
        public void write(ByteBuffer bytes) throws StoreException, BlobConflictException {
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
        public Status finish() throws StoreException {
            try {
                channel.force(true);
                if (received == total) {
                    channel.close();
                    Files.move(part, directory.resolve(id.value()), StandardCopyOption.ATOMIC_MOVE);
                    return new Status(received, total, true);
                }
                return new Status(received, total, false);
            } catch (IOException e) {
                throw new StoreException("cannot store the blob", e);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing more can be done; the part stays for a resume or for expiry.
            } finally {
                uploading.remove(id);
            }
        }
    }
}
