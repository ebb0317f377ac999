// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.svyaz.client.api.ClientException;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyCountResponse;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.PreKey;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.server.StorageSettings;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.Storage;

/**
 * What one account, or an outsider, could do to learn about or exhaust others, tried against a
 * real server: drain someone's one-time prekeys, fill the key table, find out which usernames
 * exist on an invite-only server, walk a dictionary of usernames.
 */
class AbuseLimitsIT {
    @TempDir
    Path temp;

    @Test
    void aWrongInviteGetsTheSameAnswerWhetherTheUsernameIsTakenOrNot() throws Exception {
        Path data = temp.resolve("server");
        Storage storage = SvyazServer.openStorage(StorageSettings.EMBEDDED, data);
        try (SvyazServer server = SvyazServer.start(TestServer.config(data).withRegistration(RegistrationPolicy.INVITE),
                storage)) {
            InviteLink link = server.inviteLink();
            String code = new InviteCodes(storage.accounts(), Clock.systemUTC()).create(Duration.ofHours(1));
            try (SvyazClient alice = SvyazClient.register(temp.resolve("a"), withCode(link, code), "alice.41",
                    Clock.systemUTC())) {
                assertThat(alice.username()).isEqualTo("alice.41");
            }

            InviteLink wrong = withCode(link, "not-an-invite");
            Throwable taken = registrationFailure(wrong, "alice.41");
            Throwable free = registrationFailure(wrong, "zelda.77");

            assertThat(taken).isInstanceOf(free.getClass()).hasMessage(free.getMessage());
            assertThat(free.getMessage()).contains("invite");
            // A valid invite for a taken username is not used up by the refusal.
            String second = new InviteCodes(storage.accounts(), Clock.systemUTC()).create(Duration.ofHours(1));
            assertThat(registrationFailure(withCode(link, second), "alice.41").getMessage()).contains("taken");
            try (SvyazClient zelda = SvyazClient.register(temp.resolve("z"), withCode(link, second), "zelda.77",
                    Clock.systemUTC())) {
                assertThat(zelda.username()).isEqualTo("zelda.77");
            }
        }
    }

    @Test
    void usernameLookupsBeyondTheLimitAreRefused() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.43", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.44", Clock.systemUTC());
             RawSocket mallory = RawSocket.connect(server, TestAccounts.credentials(temp.resolve("a").resolve("alice.43")))) {
            // A dictionary walk: each guess is a well-formed 32-byte hash nobody holds.
            for (int i = 0; i < RateLimit.USERNAME_LOOKUPS.burst(); i++) {
                assertThat(lookup(mallory, i).getError()).isEqualTo(ErrorCode.NOT_FOUND);
            }
            Response refused = lookup(mallory, RateLimit.USERNAME_LOOKUPS.burst());
            assertThat(refused.getError()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(refused.getMessage()).contains("lookups");

            // The limit is Alice's own: Bob still finds her.
            bob.send("alice.43", "found you");
            assertThat(MessagingIT.receiveAll(alice, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("found you");
        }
    }

    @Test
    void drainingSomeonesOneTimeKeysStopsAtTheLimitAndOthersCanStillWriteFirst() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient mallory = SvyazClient.register(temp.resolve("m"), server.inviteLink(), "mallory.45", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.46", Clock.systemUTC());
             SvyazClient carol = SvyazClient.register(temp.resolve("c"), server.inviteLink(), "carol.47", Clock.systemUTC())) {
            KeyCountResponse initial = bob.serverKeyCounts();
            int burst = RateLimit.PREKEY_FETCHES.burst();
            try (RawSocket raw = RawSocket.connect(server, TestAccounts.credentials(temp.resolve("m").resolve(mallory.username())))) {
                for (int i = 0; i < burst; i++) {
                    DeviceBundle bundle = onlyBundle(bundle(raw, bob));
                    assertThat(bundle.hasPreKey()).isTrue();
                }
                // Bounded: 20 more. Each still answers (the signed and last-resort keys start a
                // session) but hands out no one-time key of either kind.
                Set<Integer> kyberIds = new HashSet<>();
                for (int i = 0; i < 20; i++) {
                    DeviceBundle bundle = onlyBundle(bundle(raw, bob));
                    assertThat(bundle.hasPreKey()).isFalse();
                    kyberIds.add(bundle.getKyberPreKey().getId());
                }
                assertThat(kyberIds).as("always the same last-resort key").hasSize(1);
            }
            KeyCountResponse after = bob.serverKeyCounts();
            assertThat(after.getPreKeys()).isEqualTo(initial.getPreKeys() - burst);
            assertThat(after.getKyberPreKeys()).isEqualTo(initial.getKyberPreKeys() - burst);

            // Carol's first message to Bob takes one-time keys under her own limit, and arrives.
            carol.send("bob.46", "first contact");
            assertThat(MessagingIT.receiveAll(bob, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("first contact");
        }
    }

    @Test
    void oneTimeKeysBeyondTheCapAreRefusedAndTheCountStaysBounded() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.48", Clock.systemUTC());
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.49", Clock.systemUTC())) {
            int cap = KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE;
            int perUpload = KeyService.MAX_KEYS_PER_UPLOAD;
            // Bob's own device, talking to the server directly (his client stays off meanwhile:
            // one connection per device).
            try (RawSocket raw = RawSocket.connect(server, TestAccounts.credentials(temp.resolve("b").resolve("bob.48")))) {
                int stored = preKeyCount(raw);
                int nextId = 1_000_000;
                // Up to the cap is fine.
                assertThat(upload(raw, nextId, cap - stored).getError()).isEqualTo(ErrorCode.OK);
                nextId += cap - stored;
                assertThat(preKeyCount(raw)).isEqualTo(cap);

                // Bounded: 20 uploads of a full batch each, every one refused whole.
                for (int i = 0; i < 20; i++) {
                    Response refused = upload(raw, nextId, perUpload);
                    nextId += perUpload;
                    assertThat(refused.getError()).isEqualTo(ErrorCode.TOO_LARGE);
                    assertThat(refused.getMessage()).contains("at most " + cap);
                }
                assertThat(upload(raw, nextId, 1).getError()).isEqualTo(ErrorCode.TOO_LARGE);
                assertThat(preKeyCount(raw)).isEqualTo(cap);
            }

            // Bob stays reachable.
            alice.send("bob.48", "still reachable");
            assertThat(MessagingIT.receiveAll(bob, 1)).extracting(m -> m.body().orElseThrow())
                    .containsExactly("still reachable");
        }
    }

    private static int preKeyCount(RawSocket socket) throws Exception {
        Response response = socket.call(ApiPaths.KEYS_COUNT, KeyCountRequest.getDefaultInstance().toByteString());
        assertThat(response.getError()).isEqualTo(ErrorCode.OK);
        return KeyCountResponse.parseFrom(response.getBody()).getPreKeys();
    }

    private static DeviceBundle onlyBundle(Response response) throws Exception {
        assertThat(response.getError()).as(response.getMessage()).isEqualTo(ErrorCode.OK);
        return PreKeyBundleResponse.parseFrom(response.getBody()).getDevicesList().getFirst();
    }

    private static InviteLink withCode(InviteLink link, String code) {
        return new InviteLink(link.signed(), link.descriptor(), Optional.of(code));
    }

    private Throwable registrationFailure(InviteLink link, String username) {
        Path dir = temp.resolve("attempt-" + System.nanoTime());
        Throwable[] failure = new Throwable[1];
        assertThatThrownBy(() -> SvyazClient.register(dir, link, username, Clock.systemUTC()).close())
                .isInstanceOf(ClientException.class)
                .satisfies(e -> failure[0] = e);
        return failure[0];
    }

    private static Response lookup(RawSocket socket, int guess) throws Exception {
        byte[] hash = new byte[32];
        hash[0] = (byte) (guess >> 8);
        hash[1] = (byte) guess;
        hash[31] = 0x5a;
        return socket.call(ApiPaths.USERNAME_LOOKUP,
                UsernameLookupRequest.newBuilder().setHash(ByteString.copyFrom(hash)).build().toByteString());
    }

    private static Response bundle(RawSocket socket, SvyazClient target) throws Exception {
        return socket.call(ApiPaths.KEYS_BUNDLE, PreKeyBundleRequest.newBuilder()
                .setAccountId(Uuids.toByteString(target.accountId())).build().toByteString());
    }

    private static Response upload(RawSocket socket, int firstId, int count) throws Exception {
        KeyUpload.Builder upload = KeyUpload.newBuilder();
        for (int i = 0; i < count; i++) {
            upload.addPreKeys(PreKey.newBuilder().setId(firstId + i)
                    .setPublicKey(ByteString.copyFrom(ECKeyPair.generate().getPublicKey().serialize())));
        }
        return socket.call(ApiPaths.KEYS_UPLOAD, upload.build().toByteString());
    }
}
