// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.SvyazServer;

/** The server's data directory is private to its owner, and acknowledged messages leave no copy in it. */
class ServerFilesIT {
    @TempDir
    Path temp;

    @Test
    void dataDirectoryIsOwnerOnlyAndDeliveredCiphertextIsOverwritten() throws Exception {
        Path data = temp.resolve("server");
        byte[] marker;
        try (SvyazServer server = TestServer.start(data);
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.21", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.22", Clock.systemUTC())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
            alice.send("bob.22", "x");
            // The stored envelope's guid is random and unique: find it while it waits, then look for it after.
            marker = firstMailboxGuid(data);
            assertThat(marker).hasSize(16);
            assertThat(TestAccounts.receiveUntil(bob, TestAccounts.body("x"))).isNotEmpty();
            org.awaitility.Awaitility.await().until(() -> firstMailboxGuidOrNull(data) == null);
        }
        // After shutdown (WAL checkpointed) the deleted row's bytes are zeroed, not left in free pages.
        assertThat(Bytes.indexOf(Files.readAllBytes(data.resolve("svyaz.db")), marker)).isNegative();
    }

    private static byte[] firstMailboxGuid(Path data) throws Exception {
        byte[] guid = firstMailboxGuidOrNull(data);
        assertThat(guid).isNotNull();
        return guid;
    }

    private static byte[] firstMailboxGuidOrNull(Path data) throws Exception {
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("svyaz.db"));
             var query = db.prepareStatement("SELECT guid FROM mailbox LIMIT 1");
             var rows = query.executeQuery()) {
            return rows.next() ? rows.getBytes(1) : null;
        }
    }

}
