// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.TurnServers;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.DescriptorSettings;

/** Accounts get short-lived TURN credentials in the TURN REST scheme coturn checks; the descriptor lists the servers. */
class TurnCredentialsIT {
    private static final String UDP = "turn:127.0.0.1:3478?transport=udp";
    private static final String TCP = "turn:127.0.0.1:3478?transport=tcp";

    @TempDir
    Path temp;

    @Test
    void credentialsNameNoAccountAndAreTheSecretsHmacOfTheirExpiry() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.51", Clock.systemUTC())) {
            assertThat(alice.turnServers()).as("no TURN server set up").isEmpty();

            String secret = TurnCredentialIssuer.secret(data);
            // In this order: Set.of would hand them out in an order that changes from run to run.
            new DescriptorSettings(Set.of(), Set.of(), Set.of(), Set.of(), new LinkedHashSet<>(List.of(UDP, TCP))).save(data);
            assertThat(server.republishDescriptor().descriptor().getTurnUrisList()).containsExactly(UDP, TCP);

            Instant before = Instant.now();
            TurnServers first = alice.turnServers().orElseThrow();
            TurnServers second = alice.turnServers().orElseThrow();
            assertThat(first.uris()).containsExactly(UDP, TCP);
            assertThat(first.expiresAt()).isBetween(before.plus(TurnCredentialIssuer.VALIDITY).minusSeconds(1),
                    Instant.now().plus(TurnCredentialIssuer.VALIDITY).plusSeconds(1));
            String[] parts = first.username().split(":");
            assertThat(parts).hasSize(2);
            assertThat(Long.parseLong(parts[0])).isEqualTo(first.expiresAt().getEpochSecond());
            assertThat(first.username()).doesNotContain(alice.accountId().toString()).doesNotContain("alice");
            assertThat(second.username()).as("each request its own").isNotEqualTo(first.username());
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            assertThat(first.password()).isEqualTo(Base64.getEncoder().encodeToString(
                    mac.doFinal(first.username().getBytes(StandardCharsets.UTF_8))));
            assertThat(Files.getPosixFilePermissions(data.resolve(TurnCredentialIssuer.SECRET_FILE)))
                    .as("the secret is the owner's only").hasSize(2);
            assertThat(Duration.between(Instant.now(), first.expiresAt())).isLessThanOrEqualTo(Duration.ofHours(12));
        }
    }
}
