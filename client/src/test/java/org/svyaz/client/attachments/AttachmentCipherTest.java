// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.attachments.AttachmentCipher.AttachmentCorruptException;
import org.svyaz.client.attachments.AttachmentCipher.Sealed;

class AttachmentCipherTest {
    @TempDir
    Path dir;

    @Test
    void aFileSurvivesEncryptionAndTheBlobRevealsNothingOfIt() throws Exception {
        byte[] content = new byte[300_000];
        new SecureRandom().nextBytes(content);
        System.arraycopy("Привет из Москвы".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, content, 1000, 29);
        Path plain = Files.write(dir.resolve("photo.jpg"), content);

        Sealed sealed = AttachmentCipher.encrypt(plain, dir.resolve("blob"));
        AttachmentCipher.decrypt(dir.resolve("blob"), sealed.key(), sealed.digest(), dir.resolve("back.jpg"));

        assertThat(Files.readAllBytes(dir.resolve("back.jpg"))).isEqualTo(content);
        assertThat(sealed.plaintextSize()).isEqualTo(content.length);
        assertThat(sealed.blobSize()).isEqualTo(Files.size(dir.resolve("blob"))).isEqualTo(content.length + 28);
        assertThat(new String(Files.readAllBytes(dir.resolve("blob")), java.nio.charset.StandardCharsets.UTF_8))
                .doesNotContain("Привет");
    }

    @Test
    void aTamperedBlobIsRefusedAndLeavesNoFile() throws Exception {
        Path plain = Files.write(dir.resolve("doc.txt"), "the plan".repeat(10_000).getBytes());
        Sealed sealed = AttachmentCipher.encrypt(plain, dir.resolve("blob"));
        byte[] blob = Files.readAllBytes(dir.resolve("blob"));
        blob[500] ^= 1;
        Files.write(dir.resolve("tampered"), blob);

        assertThatThrownBy(() -> AttachmentCipher.decrypt(dir.resolve("tampered"), sealed.key(), sealed.digest(),
                dir.resolve("out.txt"))).isInstanceOf(AttachmentCorruptException.class).hasMessageContaining("digest");
        // Even with a digest that matches the tampered bytes, the tag catches it.
        byte[] tamperedDigest = java.security.MessageDigest.getInstance("SHA-256").digest(blob);
        assertThatThrownBy(() -> AttachmentCipher.decrypt(dir.resolve("tampered"), sealed.key(), tamperedDigest,
                dir.resolve("out.txt"))).isInstanceOf(AttachmentCorruptException.class).hasMessageContaining("tag");
        assertThat(dir.resolve("out.txt")).doesNotExist();
        assertThat(dir.resolve("out.txt.part")).doesNotExist();
    }
}
