// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.Optional;

/**
 * Encrypted attachments, as opaque bytes under random ids. An upload may arrive in several pieces
 * (a broken connection resumes at the last byte stored); a blob becomes readable only once all its
 * bytes are there. Nothing is ever held whole in memory: bytes go to and come from channels.
 */
public interface BlobStore {
    /** What is stored under an id: how many of how many bytes, and whether the upload is done. */
    record Status(long received, long total, boolean complete) {}

    Optional<Status> status(BlobId id) throws StoreException;

    /**
     * Continues the upload of {@code id} (of {@code total} bytes) at {@code offset}, which must be
     * the number of bytes already received. Only one upload of an id runs at a time: a new one
     * takes over from one still running, which fails from then on (a flow a censor froze never
     * closes on the server's side, and the client has moved on to a new one).
     *
     * @throws BlobConflictException when the offset is wrong, the total differs from the first
     *                               piece's, or the blob is already complete
     */
    BlobUpload resume(BlobId id, long total, long offset) throws StoreException, BlobConflictException;

    /** A complete blob, open for reading from its start; empty when there is none. */
    Optional<FileChannel> open(BlobId id) throws StoreException;

    /**
     * Deletes complete blobs last written before {@code completeBefore} and unfinished uploads
     * last written before {@code partialBefore}; returns how many went.
     */
    int deleteExpired(Instant completeBefore, Instant partialBefore) throws StoreException;

    /** One running upload: append bytes, then {@link #close()}; it reports whether the blob is complete. */
    interface BlobUpload extends AutoCloseable {
        /** Appends everything remaining in {@code bytes}; refuses to go past the announced total. */
        void write(ByteBuffer bytes) throws StoreException, BlobConflictException;

        long received();

        /** Makes what was written durable; completes the blob when all bytes are there. */
        Status finish() throws StoreException;

        /** Ends the upload; what was written stays for a later resume. */
        @Override
        void close();
    }

    /** The upload does not fit what is stored: the message says how, {@code received} where to resume. */
    final class BlobConflictException extends Exception {
        private final long received;

        public BlobConflictException(String message, long received) {
            super(message);
            this.received = received;
        }

        public long received() {
            return received;
        }
    }
}
