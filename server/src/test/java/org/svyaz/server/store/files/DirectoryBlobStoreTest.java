// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.store.BlobId;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.BlobStore.BlobConflictException;
import org.svyaz.server.store.BlobStore.BlobUpload;

class DirectoryBlobStoreTest {
    @TempDir
    Path dir;

    @Test
    void anUploadInTwoPiecesAcrossARestartReadsBackWhole() throws Exception {
        byte[] content = random(100_000);
        BlobId id = newId();

        try (BlobUpload first = DirectoryBlobStore.open(dir).resume(id, content.length, 0)) {
            first.write(ByteBuffer.wrap(content, 0, 40_000));
            assertThat(first.finish().complete()).isFalse();
        }
        BlobStore restarted = DirectoryBlobStore.open(dir);
        assertThat(restarted.open(id)).as("half a blob is not readable").isEmpty();
        assertThat(restarted.status(id)).hasValueSatisfying(s -> {
            assertThat(s.received()).isEqualTo(40_000);
            assertThat(s.total()).isEqualTo(content.length);
        });
        try (BlobUpload second = restarted.resume(id, content.length, 40_000)) {
            second.write(ByteBuffer.wrap(content, 40_000, content.length - 40_000));
            assertThat(second.finish().complete()).isTrue();
        }

        try (FileChannel read = restarted.open(id).orElseThrow()) {
            ByteBuffer back = ByteBuffer.allocate(content.length + 1);
            while (read.read(back) > 0) {
                // read everything
            }
            back.flip();
            assertThat(back.remaining()).isEqualTo(content.length);
            assertThat(back.array()).startsWith(content);
        }
    }

    /**
     * A flow a censor froze never closes on the server's side, so its upload would run on; the
     * client's next flow takes over from it. Before, it was refused as a second upload, again and
     * again, until the frozen connection timed out minutes later.
     */
    @Test
    void aNewUploadTakesOverFromOneStillRunning() throws Exception {
        BlobStore store = DirectoryBlobStore.open(dir);
        BlobId id = newId();
        byte[] content = random(1000);
        BlobUpload frozen = store.resume(id, 1000, 0);
        frozen.write(ByteBuffer.wrap(content, 0, 300));
        try (BlobUpload next = store.resume(id, 1000, 300)) {
            assertThatThrownBy(() -> frozen.write(ByteBuffer.wrap(content, 300, 10)))
                    .as("the upload taken over").isInstanceOf(StoreException.class);
            next.write(ByteBuffer.wrap(content, 300, 700));
            assertThat(next.finish().complete()).isTrue();
        }
        frozen.close();
        try (FileChannel blob = store.open(id).orElseThrow()) {
            ByteBuffer back = ByteBuffer.allocate(1000);
            while (back.hasRemaining() && blob.read(back) >= 0) {
                // reads until full
            }
            assertThat(back.array()).isEqualTo(content);
        }
    }

    @Test
    void piecesThatDoNotFitAreRefusedWithWhereToResume() throws Exception {
        BlobStore store = DirectoryBlobStore.open(dir);
        BlobId id = newId();
        try (BlobUpload upload = store.resume(id, 1000, 0)) {
            upload.write(ByteBuffer.wrap(random(300)));
            upload.finish();
        }
        assertThatThrownBy(() -> store.resume(id, 1000, 0)).isInstanceOf(BlobConflictException.class)
                .hasMessageContaining("byte 300").satisfies(e -> assertThat(((BlobConflictException) e).received()).isEqualTo(300));
        assertThatThrownBy(() -> store.resume(id, 2000, 300)).isInstanceOf(BlobConflictException.class)
                .hasMessageContaining("another length");
        try (BlobUpload upload = store.resume(id, 1000, 300)) {
            assertThatThrownBy(() -> upload.write(ByteBuffer.wrap(random(701))))
                    .isInstanceOf(BlobConflictException.class).hasMessageContaining("1000");
            upload.write(ByteBuffer.wrap(random(700)));
            assertThat(upload.finish().complete()).isTrue();
        }
        assertThatThrownBy(() -> store.resume(id, 1000, 1000)).isInstanceOf(BlobConflictException.class);
        assertThatThrownBy(() -> store.resume(id, 1000, 0)).isInstanceOf(BlobConflictException.class)
                .hasMessageContaining("already complete");
    }

    @Test
    void expiryDeletesOldBlobsAndAbandonedUploadsOnly() throws Exception {
        BlobStore store = DirectoryBlobStore.open(dir);
        BlobId old = complete(store, 10);
        BlobId fresh = complete(store, 10);
        BlobId abandoned = newId();
        try (BlobUpload upload = store.resume(abandoned, 10, 0)) {
            upload.write(ByteBuffer.wrap(random(5)));
            upload.finish();
        }
        Instant now = Instant.now();
        age(old, 31);
        try (var parts = Files.newDirectoryStream(dir, "*.part")) {
            for (Path part : parts) {
                Files.setLastModifiedTime(part, FileTime.from(now.minus(2, ChronoUnit.DAYS)));
            }
        }

        int deleted = store.deleteExpired(now.minus(30, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS));

        assertThat(deleted).isEqualTo(2);
        assertThat(store.status(old)).isEmpty();
        assertThat(store.status(abandoned)).isEmpty();
        assertThat(store.status(fresh)).hasValueSatisfying(s -> assertThat(s.complete()).isTrue());
    }

    @Test
    void lookingUpAnIdNeverListsTheDirectory() throws Exception {
        AtomicInteger listings = new AtomicInteger();
        BlobStore store = DirectoryBlobStore.open(dir, directory -> {
            listings.incrementAndGet();
            return Files.newDirectoryStream(directory);
        });
        for (int i = 0; i < 50; i++) {
            complete(store, 10);
        }
        BlobId unfinished = newId();
        try (BlobUpload upload = store.resume(unfinished, 10, 0)) {
            upload.write(ByteBuffer.wrap(random(4)));
            upload.finish();
        }
        int atStart = listings.get();

        // A HEAD of a missing id, of an unfinished upload, and a resume: none reads the directory.
        assertThat(store.status(newId())).isEmpty();
        assertThat(store.status(unfinished)).hasValue(new BlobStore.Status(4, 10, false));
        try (BlobUpload upload = store.resume(unfinished, 10, 4)) {
            upload.write(ByteBuffer.wrap(random(6)));
            assertThat(upload.finish().complete()).isTrue();
        }
        assertThat(store.open(newId())).isEmpty();

        assertThat(listings.get()).as("directory listings after start-up").isEqualTo(atStart);
    }

    @Test
    void anUnfinishedUploadOfTheOldLayoutIsRenamedAtStartAndResumes() throws Exception {
        BlobId id = newId();
        Files.write(dir.resolve(id.value() + ".10.part"), random(4));

        BlobStore store = DirectoryBlobStore.open(dir);

        assertThat(store.status(id)).hasValue(new BlobStore.Status(4, 10, false));
        try (BlobUpload upload = store.resume(id, 10, 4)) {
            upload.write(ByteBuffer.wrap(random(6)));
            assertThat(upload.finish().complete()).isTrue();
        }
        assertThat(store.status(id)).hasValue(new BlobStore.Status(10, 10, true));
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly(id.value());
        }
    }

    @Test
    void idsAreStrictlyBase64urlOf32Bytes() {
        assertThat(BlobId.parse("../../etc/passwd")).isEmpty();
        assertThat(BlobId.parse("A".repeat(42) + "B")).as("not a 32-byte encoding").isEmpty();
        assertThat(BlobId.parse(newId().value())).isPresent();
    }

    private BlobId complete(BlobStore store, int size) throws Exception {
        BlobId id = newId();
        try (BlobUpload upload = store.resume(id, size, 0)) {
            upload.write(ByteBuffer.wrap(random(size)));
            upload.finish();
        }
        return id;
    }

    private void age(BlobId id, int days) throws Exception {
        Files.setLastModifiedTime(dir.resolve(id.value()), FileTime.from(Instant.now().minus(days, ChronoUnit.DAYS)));
    }

    static BlobId newId() {
        return new BlobId(Base64.getUrlEncoder().withoutPadding().encodeToString(random(32)));
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
