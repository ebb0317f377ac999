// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.accounts.AccountRegistrar;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.accounts.BenchKeys;
import org.svyaz.bench.svyaz.SignalPayloadCipher;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * The online-relay scenario with every message encrypted and decrypted end to end, against a real
 * server in this JVM: a healthy server balances to the message with nothing failing to decrypt,
 * also when two users start sessions with each other at the same moment; ciphertext the server
 * damages is caught by decryption, to the message; a message it delivers twice is a duplicate.
 */
class EndToEndRelayIT {
    private static final int USERS = 10;
    private static final int MESSAGES = 200;

    @TempDir
    Path data;

    private static RelayReport run(SvyazServer server, RelayOptions options) throws Exception {
        try (SvyazSystem system = new SvyazSystem(ServerUnderTest.inProcess(server.inviteLink()),
                new SignalPayloadCipher())) {
            return new RelayBenchmark(system, options, line -> {}).run();
        }
    }

    private static RelayOptions options(int users, int messages, int window, Duration drainTimeout) {
        return new RelayOptions(users, messages, 256, window, drainTimeout, 42);
    }

    @Test
    void everyMessageIsDecryptedAndTheLedgerBalances() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            RelayReport report = run(server, options(USERS, MESSAGES, 4, Duration.ofSeconds(30)));

            assertThat(report.payload()).isEqualTo(SignalPayloadCipher.MODE);
            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(MESSAGES, MESSAGES, 0, 0, MESSAGES,
                    0, 0, 0, 0, 0));
            assertThat(report.undecryptable()).isZero();
            assertThat(report.rejections()).isEmpty();
            assertThat(report.latency().count()).isEqualTo(MESSAGES);
            assertThat(report.notes()).singleElement().asString().startsWith("Encrypted ");
            assertThat(ReportFormat.json(report)).contains("\"payload\":\"libsignal end to end\"",
                    "\"undecryptable\":0", "\"delivered\":" + MESSAGES);
            assertThat(ReportFormat.table(report)).contains("payload                            libsignal end to end",
                    "failed to decrypt (in foreign)     0");
        }
    }

    @Test
    void twoUsersStartingSessionsWithEachOtherAtOnceReadEverything() throws Exception {
        // With two users every message goes to the other one; both senders start together with a
        // wide window, so both open with prekey messages before either has received anything.
        int messages = 300;
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            RelayReport report = run(server, options(2, messages, 16, Duration.ofSeconds(30)));

            assertThat(report.ledger()).isEqualTo(new DeliveryLedger.Summary(messages, messages, 0, 0, messages,
                    0, 0, 0, 0, 0));
            assertThat(report.undecryptable()).isZero();
        }
    }

    @Test
    void ciphertextTheServerDamagesFailsToDecryptAndIsCountedLost() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.CORRUPT, 7);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            RelayReport report = run(server, options(USERS, MESSAGES, 4, Duration.ofSeconds(3)));

            long damaged = storage.faults();
            assertThat(damaged).isEqualTo(MESSAGES / 7);
            assertThat(report.undecryptable()).isEqualTo(damaged);
            assertThat(report.ledger().accepted()).isEqualTo(MESSAGES);
            assertThat(report.ledger().foreign()).isEqualTo(damaged);
            assertThat(report.ledger().lost()).isEqualTo(damaged);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES - damaged);
            assertThat(report.ledger().duplicates()).isZero();
            assertThat(report.notes()).anyMatch(note -> note.equals(damaged
                    + " message(s) failed to decrypt: counted foreign, and lost."));
        }
    }

    @Test
    void aMessageTheServerDeliversTwiceIsADuplicateNotADecryptionFailure() throws Exception {
        FaultyStorage storage = new FaultyStorage(EmbeddedStorage.open(data), FaultyStorage.Fault.DUPLICATE, 9);
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data), storage)) {
            RelayReport report = run(server, options(USERS, MESSAGES, 4, Duration.ofSeconds(30)));

            long doubled = storage.faults();
            assertThat(doubled).isEqualTo(MESSAGES / 9);
            assertThat(report.ledger().duplicates()).isEqualTo(doubled);
            assertThat(report.ledger().delivered()).isEqualTo(MESSAGES);
            assertThat(report.ledger().foreign()).isZero();
            assertThat(report.undecryptable()).isZero();
        }
    }

    /** The cipher builds each peer's bundle from the registered keys; the server hands out exactly those. */
    @Test
    void theServerHandsOutTheBundleTheToolBuildsFromWhatItRegistered() throws Exception {
        try (SvyazServer server = SvyazServer.start(InProcessServers.config(data))) {
            List<BenchAccount> accounts = new AccountRegistrar(server.inviteLink()).register(2, true);
            BenchAccount peer = accounts.get(1);
            BenchKeys keys = peer.keys().orElseThrow();
            Response response;
            try (ServerConnection connection = ServerConnection.connect(server.inviteLink(),
                    Optional.of(accounts.get(0).credentials()), push -> Response.getDefaultInstance(),
                    Duration.ofSeconds(15))) {
                response = connection.call(ApiPaths.KEYS_BUNDLE, PreKeyBundleRequest.newBuilder()
                        .setAccountId(Uuids.toByteString(peer.accountId())).build(), Duration.ofSeconds(15));
            }
            assertThat(response.getError()).isEqualTo(ErrorCode.OK);
            PreKeyBundleResponse bundle = PreKeyBundleResponse.parseFrom(response.getBody());

            assertThat(bundle.getIdentityKey().toByteArray()).isEqualTo(keys.identity().getPublicKey().serialize());
            DeviceBundle device = bundle.getDevicesList().getFirst();
            assertThat(bundle.getDevicesCount()).isEqualTo(1);
            assertThat(device.getDeviceId()).isEqualTo(peer.credentials().deviceId());
            assertThat(device.getRegistrationId()).isEqualTo(peer.registrationId());
            assertThat(device.hasPreKey()).as("no one-time prekey").isFalse();
            assertThat(device.getSignedPreKey().getId()).isEqualTo(keys.signedPreKeyId());
            assertThat(device.getSignedPreKey().getPublicKey().toByteArray())
                    .isEqualTo(keys.signedPreKey().getPublicKey().serialize());
            assertThat(device.getSignedPreKey().getSignature().toByteArray()).isEqualTo(keys.signedPreKeySignature());
            assertThat(device.getKyberPreKey().getId()).isEqualTo(keys.kyberPreKeyId());
            assertThat(device.getKyberPreKey().getPublicKey().toByteArray())
                    .isEqualTo(keys.kyberPreKey().getPublicKey().serialize());
            assertThat(device.getKyberPreKey().getSignature().toByteArray()).isEqualTo(keys.kyberPreKeySignature());
        }
    }
}
