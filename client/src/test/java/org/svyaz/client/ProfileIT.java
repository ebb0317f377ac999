// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.SvyazServer;

/** Profile names are encrypted with the profile key: contacts read them, the server cannot. */
class ProfileIT {
    private static final String NAME = "Алиса Зелёная";

    @TempDir
    Path temp;

    @Test
    void contactsSeeTheNameAndTheServerStoresOnlyCiphertext() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.61", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.62", Clock.systemUTC())) {
            alice.setProfileName(NAME);
            alice.send("bob.62", "guess who");
            assertThat(receiveUntil(bob, body("guess who"))).last().satisfies(m -> {
                assertThat(m.sourceName()).contains(NAME);
                assertThat(m.source()).isEqualTo("alice.61");
            });

            // Bob's message carries his profile key, so Alice can read the name he set.
            bob.setProfileName("Bob");
            bob.send("alice.61", "hi");
            assertThat(receiveUntil(alice, body("hi"))).last()
                    .satisfies(m -> assertThat(m.sourceName()).contains("Bob"));

            for (Path file : files(data)) {
                byte[] bytes = Files.readAllBytes(file);
                for (String secret : List.of(NAME, "Алиса")) {
                    for (var charset : List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE)) {
                        assertThat(new String(bytes, StandardCharsets.ISO_8859_1))
                                .as("%s in %s", secret, file)
                                .doesNotContain(new String(secret.getBytes(charset), StandardCharsets.ISO_8859_1));
                    }
                }
            }
        }
    }

    @Test
    void anonymousProfileFetchesNeedTheAccessKey() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.63", Clock.systemUTC());
             RawSocket anonymous = RawSocket.connect(server, java.util.Optional.empty())) {
            alice.setProfileName(NAME);
            byte[] profileKey;
            try (var db = org.svyaz.client.store.AccountDatabase.open(
                    temp.resolve("a").resolve(alice.username()).resolve(SvyazClient.ACCOUNT_FILE))) {
                profileKey = db.setting("profile_key");
            }
            var withKey = org.svyaz.protocol.wire.GetProfileRequest.newBuilder()
                    .setAccountId(org.svyaz.protocol.Uuids.toByteString(alice.accountId()))
                    .setAccessKey(com.google.protobuf.ByteString.copyFrom(ProfileCipher.accessKey(profileKey)))
                    .build();
            var answer = anonymous.call(org.svyaz.protocol.ApiPaths.PROFILE_GET, withKey.toByteString());
            assertThat(answer.getError()).isEqualTo(org.svyaz.protocol.wire.ErrorCode.OK);
            byte[] ciphertext = org.svyaz.protocol.wire.GetProfileResponse.parseFrom(answer.getBody())
                    .getNameCiphertext().toByteArray();
            assertThat(ProfileCipher.decryptName(profileKey, ciphertext)).contains(NAME);

            var wrongKey = anonymous.call(org.svyaz.protocol.ApiPaths.PROFILE_GET, withKey.toBuilder()
                    .setAccessKey(com.google.protobuf.ByteString.copyFrom(new byte[16])).build().toByteString());
            var unknown = anonymous.call(org.svyaz.protocol.ApiPaths.PROFILE_GET, withKey.toBuilder()
                    .setAccountId(org.svyaz.protocol.Uuids.toByteString(java.util.UUID.randomUUID())).build().toByteString());
            assertThat(wrongKey.getError()).isEqualTo(org.svyaz.protocol.wire.ErrorCode.UNAUTHORIZED);
            assertThat(unknown.getError()).isEqualTo(org.svyaz.protocol.wire.ErrorCode.UNAUTHORIZED);
            assertThat(unknown.getMessage()).as("unknown accounts and wrong keys look alike")
                    .isEqualTo(wrongKey.getMessage());
        }
    }

    @Test
    void profileCipherRoundTripsAndRejectsAnotherKey() {
        byte[] key = new byte[32];
        byte[] other = new byte[32];
        other[0] = 1;
        byte[] encrypted = ProfileCipher.encryptName(key, NAME);
        assertThat(ProfileCipher.decryptName(key, encrypted)).contains(NAME);
        assertThat(ProfileCipher.decryptName(other, encrypted)).isEmpty();
        // Padding hides the length: a short and a longer name encrypt to the same size.
        assertThat(ProfileCipher.encryptName(key, "A")).hasSameSizeAs(ProfileCipher.encryptName(key, "Alexandra Long"));
        encrypted[encrypted.length - 1] ^= 1;
        assertThat(ProfileCipher.decryptName(key, encrypted)).as("tampered ciphertext").isEmpty();
    }

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
