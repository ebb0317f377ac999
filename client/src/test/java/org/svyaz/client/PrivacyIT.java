// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.Uuids;
import org.svyaz.server.SvyazServer;

/**
 * The server's data directory never holds a message text or a username, in any file (the
 * database, its WAL and shared-memory files, keys, descriptors), while running and after shutdown.
 */
class PrivacyIT {
    private static final String ALICE = "zanzibarquokka.37";
    private static final String BOB = "marzipanotter.58";
    private static final String TO_BOB = "Meet me by the turquoise samovar at seven";
    private static final String TO_BOB_CYRILLIC = "Встречаемся у бирюзового самовара в семь";
    private static final String TO_ALICE = "Bring the periwinkle umbrella, it may rain";
    private static final String PROFILE_NAME = "Varvara Krasa";
    private static final List<Charset> ENCODINGS =
            List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE);

    @TempDir
    Path temp;

    @Test
    void serverDataHoldsNoMessageTextAndNoUsername() throws Exception {
        Path data = temp.resolve("server");
        Path accounts = temp.resolve("accounts");
        List<String> secrets = List.of(ALICE, BOB, nickname(ALICE), nickname(BOB), TO_BOB, TO_BOB_CYRILLIC, TO_ALICE,
                PROFILE_NAME);
        byte[] aliceId;

        SvyazServer server = TestServer.start(data);
        try (SvyazClient alice = SvyazClient.register(accounts, server.inviteLink(), ALICE, Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(accounts, server.inviteLink(), BOB, Clock.systemUTC())) {
            aliceId = Uuids.toBytes(alice.accountId());
            alice.setProfileName(PROFILE_NAME);
            // Bob is offline: both messages wait in his mailbox on the server while it is scanned.
            alice.send(BOB, TO_BOB);
            alice.send(BOB, TO_BOB_CYRILLIC);
            assertNothingLeaks(data, secrets, aliceId, "while messages wait in the mailbox");

            assertThat(receiveUntil(bob, body(TO_BOB_CYRILLIC))).extracting(m -> m.body().orElseThrow())
                    .containsExactly(TO_BOB, TO_BOB_CYRILLIC);
            bob.send(ALICE, TO_ALICE);
            // Before Bob's reply, the delivery receipt his receive sent for Alice's two messages.
            assertThat(receiveUntil(alice, body(TO_ALICE))).filteredOn(m -> m.signal().isEmpty())
                    .extracting(m -> m.body().orElseThrow()).containsExactly(TO_ALICE);
            assertNothingLeaks(data, secrets, aliceId, "while running, after the conversation");
            // Device passwords are kept only as salted hashes.
            for (String account : List.of(alice.username(), bob.username())) {
                byte[] password = TestAccounts.credentials(accounts.resolve(account)).password();
                for (Path file : readAll(data).keySet()) {
                    assertThat(Bytes.indexOf(Files.readAllBytes(file), password)).as("password of %s in %s", account, file)
                            .isNegative();
                }
            }
        } finally {
            server.close();
        }
        // Closing checkpoints the WAL into the database file: scan what stays on disk.
        assertThat(data.resolve("svyaz.db")).isNotEmptyFile();
        assertNothingLeaks(data, secrets, aliceId, "after shutdown");
    }

    private static String nickname(String username) {
        return username.substring(0, username.indexOf('.'));
    }

    /**
     * Scans every file under {@code data} for every secret in every encoding. As a check that the
     * scan sees the stored data at all, alice's account id (which the server must store) has to be found.
     */
    private static void assertNothingLeaks(Path data, List<String> secrets, byte[] knownStored, String when)
            throws IOException {
        Map<Path, byte[]> files = readAll(data);
        assertThat(files.keySet()).as(when).anySatisfy(p -> assertThat(p.getFileName().toString()).startsWith("svyaz.db"));
        List<String> leaks = new ArrayList<>();
        boolean knownFound = false;
        for (Map.Entry<Path, byte[]> file : files.entrySet()) {
            for (String secret : secrets) {
                for (Charset encoding : ENCODINGS) {
                    if (Bytes.indexOf(file.getValue(), secret.getBytes(encoding)) >= 0) {
                        leaks.add(data.relativize(file.getKey()) + " contains \"" + secret + "\" in " + encoding);
                    }
                }
            }
            knownFound |= Bytes.indexOf(file.getValue(), knownStored) >= 0;
        }
        assertThat(knownFound).as("the scan %s finds alice's account id in %s", when, files.keySet()).isTrue();
        assertThat(leaks).as(when).isEmpty();
    }

    private static Map<Path, byte[]> readAll(Path dir) throws IOException {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                try {
                    files.put(path, Files.readAllBytes(path));
                } catch (NoSuchFileException e) {
                    // A transient file (such as a rollback journal) vanished between listing and reading.
                }
            }
        }
        return files;
    }

}
