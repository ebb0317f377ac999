// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.protocol.relay.RelayDescriptor;

class RelayGrantsTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path temp;

    @Test
    void eachAccountGetsTwoRelaysSoListingThemAllTakesManyAccounts() {
        RelayGrants grants = grants(new byte[32]);
        List<RelayLink> relays = relays(10);
        grants.useRelays(relays);
        Set<String> seen = new HashSet<>();
        int accountsToSeeAll = 0;
        for (int i = 0; i < 200 && seen.size() < relays.size(); i++) {
            List<RelayLink> granted = grants.forAccount(account(i));
            assertThat(granted).hasSize(RelayGrants.PER_SUBJECT);
            assertThat(granted.get(0).sameRelay(granted.get(1))).isFalse();
            granted.forEach(relay -> seen.add(relay.descriptor().getHost()));
            accountsToSeeAll = i + 1;
        }
        assertThat(seen).hasSize(relays.size());
        // With 2 of 10 per account, seeing all ten takes far more than the five a fair split would.
        assertThat(accountsToSeeAll).isGreaterThan(5);
    }

    @Test
    void anAccountKeepsItsRelaysWhenOthersAreAddedOrRemoved() {
        RelayGrants grants = grants(new byte[32]);
        List<RelayLink> relays = relays(8);
        grants.useRelays(relays);
        int kept = 0;
        for (int i = 0; i < 50; i++) {
            List<RelayLink> before = grants.forAccount(account(i));
            List<RelayLink> others = new ArrayList<>(relays);
            others.removeIf(relay -> before.stream().anyMatch(relay::sameRelay));
            List<RelayLink> fewer = new ArrayList<>(relays);
            fewer.remove(others.get(0)); // a relay this account did not have goes away
            grants.useRelays(fewer);
            List<RelayLink> after = grants.forAccount(account(i));
            assertThat(after).allMatch(relay -> before.stream().anyMatch(relay::sameRelay));
            kept++;
            grants.useRelays(relays);
        }
        assertThat(kept).isEqualTo(50);
    }

    @Test
    void tokensAreTheAccountsOwnCarryNoSecretAndOpenOnlyTheirRelayUntilTheyExpire() {
        RelayGrants grants = grants(new byte[32]);
        List<RelayLink> relays = relays(3);
        grants.useRelays(relays);
        UUID alice = account(1);
        for (RelayLink granted : grants.forAccount(alice)) {
            assertThat(granted.granted()).isTrue();
            assertThat(granted.descriptor().getSecret()).isEmpty();
            assertThat(RelayToken.tag(granted.token())).isEqualTo(grants.tagOfAccount(alice));
            assertThat(granted.expiresAtMillis()).isEqualTo(NOW.plus(RelayGrants.VALIDITY).toEpochMilli());
            RelayLink own = relays.stream().filter(granted::sameRelay).findFirst().orElseThrow();
            RelayToken ownTokens = new RelayToken(own.descriptor().getSecret().toByteArray());
            assertThat(ownTokens.accepts(granted.token(), NOW.getEpochSecond())).isTrue();
            assertThat(ownTokens.accepts(granted.token(), NOW.plus(RelayGrants.VALIDITY).getEpochSecond()
                    + RelayToken.CLOCK_SKEW_SECONDS + 1)).as("expired").isFalse();
            for (RelayLink other : relays) {
                if (!other.sameRelay(granted)) {
                    assertThat(new RelayToken(other.descriptor().getSecret().toByteArray())
                            .accepts(granted.token(), NOW.getEpochSecond())).as("another relay's").isFalse();
                }
            }
        }
        assertThat(grants.tagOfAccount(alice)).isNotEqualTo(grants.tagOfAccount(account(2)))
                .isNotEqualTo(grants.tagOfInvite("abc"));
    }

    @Test
    void anotherServersKeyChoosesOtherwiseSoTheChoiceCannotBePredicted() {
        List<RelayLink> relays = relays(10);
        RelayGrants ours = grants(new byte[32]);
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;
        RelayGrants theirs = grants(otherKey);
        ours.useRelays(relays);
        theirs.useRelays(relays);
        int differ = 0;
        for (int i = 0; i < 20; i++) {
            List<String> a = ours.forAccount(account(i)).stream().map(r -> r.descriptor().getHost()).sorted().toList();
            List<String> b = theirs.forAccount(account(i)).stream().map(r -> r.descriptor().getHost()).sorted().toList();
            differ += a.equals(b) ? 0 : 1;
        }
        assertThat(differ).isGreaterThan(10);
    }

    @Test
    void theKeyIsMadeOnceOwnerOnlyAndAGrantedLinkIsNotARelayToHandOut() throws Exception {
        RelayGrants first = RelayGrants.open(temp, CLOCK);
        RelayGrants second = RelayGrants.open(temp, CLOCK);
        assertThat(first.tagOfAccount(account(1))).isEqualTo(second.tagOfAccount(account(1)));
        assertThat(Files.getPosixFilePermissions(temp.resolve(RelayGrants.KEY_FILE)).toString())
                .isEqualTo("[OWNER_READ, OWNER_WRITE]");
        first.useRelays(relays(2));
        RelayLink granted = first.forAccount(account(1)).get(0);
        assertThatThrownBy(() -> first.useRelays(List.of(granted))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noRelaysNoGrants() {
        RelayGrants grants = grants(new byte[32]);
        assertThat(grants.forAccount(account(1))).isEmpty();
        grants.useRelays(relays(1));
        assertThat(grants.forAccount(account(1))).hasSize(1);
    }

    private RelayGrants grants(byte[] key) {
        return new RelayGrants(key, CLOCK);
    }

    private static UUID account(int i) {
        return new UUID(0x5EED, i);
    }

    private static List<RelayLink> relays(int count) {
        List<RelayLink> relays = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] secret = new byte[32];
            secret[0] = (byte) i;
            byte[] pin = new byte[32];
            pin[0] = (byte) i;
            relays.add(new RelayLink(RelayDescriptor.newBuilder()
                    .setHost("relay" + i + ".example").setPort(443).setSni("site" + i + ".example")
                    .setTlsKeyPin(ByteString.copyFrom(pin)).setSecret(ByteString.copyFrom(secret))
                    .setServerIdentityKey(ByteString.copyFrom(new byte[44]))
                    .build()));
        }
        return relays;
    }
}
