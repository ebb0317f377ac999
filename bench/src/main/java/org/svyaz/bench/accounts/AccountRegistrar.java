// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.accounts;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.usernames.BaseUsernameException;
import org.signal.libsignal.usernames.Username;
import org.svyaz.bench.BenchException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.RegisterResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SignedPreKey;
import org.svyaz.protocol.wire.UsernameCandidate;

/**
 * Registers benchmark users through the server's real registration API, as a client would, but
 * with the least key material the server accepts: an identity key, a signed prekey and a Kyber
 * last-resort key, and no one-time prekeys. {@code SvyazClient.register} also makes 50 one-time
 * EC and Kyber-1024 prekeys and an SQLite account database per user, which the opaque-payload
 * benchmark never uses and which would make setting up 1,000 users take minutes instead of seconds.
 * Nothing is kept on disk: the private keys are dropped once the request is built.
 */
public final class AccountRegistrar {
    /** Registrations in flight at once; enough to keep the server's single SQLite writer busy. */
    private static final int PARALLEL = 8;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int SIGNED_PREKEY_ID = 1;
    private static final int KYBER_PREKEY_ID = 2;

    private final InviteLink link;

    public AccountRegistrar(InviteLink link) {
        this.link = link;
    }

    /**
     * Registers {@code count} users and returns them in index order. The usernames carry a random
     * token of this run, so runs against the same server never collide. The accounts keep no keys.
     */
    public List<BenchAccount> register(int count) throws BenchException {
        return register(count, false);
    }

    /**
     * Registers {@code count} users as {@link #register(int)} does; with {@code keepKeys} each
     * account keeps its key material in memory, for scenarios that encrypt with libsignal.
     */
    public List<BenchAccount> register(int count, boolean keepKeys) throws BenchException {
        String runToken = runToken();
        List<ServerConnection> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL,
                Thread.ofPlatform().name("bench-register-", 0).daemon(true).factory());
        try {
            for (int i = 0; i < Math.min(PARALLEL, count); i++) {
                connections.add(ServerConnection.connect(link, Optional.empty(),
                        push -> Response.newBuilder().setError(ErrorCode.NOT_FOUND).build(), CONNECT_TIMEOUT));
            }
            List<Future<BenchAccount>> pending = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int index = i;
                ServerConnection connection = connections.get(i % connections.size());
                pending.add(pool.submit(() -> registerOne(connection, index, runToken, keepKeys)));
            }
            List<BenchAccount> accounts = new ArrayList<>(count);
            for (Future<BenchAccount> result : pending) {
                accounts.add(result.get(REQUEST_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS));
            }
            return accounts;
        } catch (ConnectionException e) {
            throw new BenchException("Cannot connect to the server to register users: " + e.getMessage(), e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BenchException failure ? failure
                    : new BenchException("Registering a user failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new BenchException("Registering a user took longer than " + REQUEST_TIMEOUT.toSeconds() * 2 + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while registering users.", e);
        } finally {
            pool.shutdownNow();
            connections.forEach(ServerConnection::close);
        }
    }

    private static BenchAccount registerOne(ServerConnection connection, int index, String runToken,
            boolean keepKeys) throws BenchException {
        IdentityKeyPair identity = IdentityKeyPair.generate();
        BenchKeys keys = newKeys(identity);
        int registrationId = 1 + RANDOM.nextInt(16380);
        byte[] password = new byte[32];
        RANDOM.nextBytes(password);
        Username username;
        byte[] proof;
        try {
            // A nickname cannot start with a digit; "01" is the smallest valid discriminator.
            username = new Username("b" + runToken + "_" + index + ".01");
            proof = username.generateProof();
        } catch (BaseUsernameException e) {
            throw new BenchException("A benchmark username was not accepted by libsignal: " + e.getMessage(), e);
        }
        RegisterRequest request = RegisterRequest.newBuilder()
                .addUsernames(UsernameCandidate.newBuilder()
                        .setHash(ByteString.copyFrom(username.getHash()))
                        .setProof(ByteString.copyFrom(proof)))
                .setPassword(ByteString.copyFrom(password))
                .setRegistrationId(registrationId)
                .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
                .setKeys(minimalKeys(keys))
                .build();
        Response response;
        try {
            response = connection.call(ApiPaths.REGISTER, request, REQUEST_TIMEOUT);
        } catch (ConnectionException e) {
            throw new BenchException("Registering a user failed: " + e.getMessage(), e);
        }
        if (response.getError() != ErrorCode.OK) {
            throw new BenchException("The server refused a registration: " + response.getError() + " "
                    + response.getMessage(), null);
        }
        try {
            RegisterResponse registered = RegisterResponse.parseFrom(response.getBody());
            DeviceCredentials credentials = new DeviceCredentials(Uuids.fromByteString(registered.getAccountId()),
                    registered.getDeviceId(), password);
            return new BenchAccount(index, credentials, registrationId,
                    keepKeys ? Optional.of(keys) : Optional.empty());
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new BenchException("The server's registration answer is unreadable.", e);
        }
    }

    /** What registration requires: a signed prekey and a Kyber last-resort key, both signed by the identity. */
    private static BenchKeys newKeys(IdentityKeyPair identity) {
        ECKeyPair signed = ECKeyPair.generate();
        KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
        return new BenchKeys(identity, SIGNED_PREKEY_ID, signed,
                identity.getPrivateKey().calculateSignature(signed.getPublicKey().serialize()),
                KYBER_PREKEY_ID, kyber, identity.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize()));
    }

    private static KeyUpload minimalKeys(BenchKeys keys) {
        return KeyUpload.newBuilder()
                .setSignedPreKey(SignedPreKey.newBuilder().setId(keys.signedPreKeyId())
                        .setPublicKey(ByteString.copyFrom(keys.signedPreKey().getPublicKey().serialize()))
                        .setSignature(ByteString.copyFrom(keys.signedPreKeySignature())))
                .setKyberLastResort(SignedPreKey.newBuilder().setId(keys.kyberPreKeyId())
                        .setPublicKey(ByteString.copyFrom(keys.kyberPreKey().getPublicKey().serialize()))
                        .setSignature(ByteString.copyFrom(keys.kyberPreKeySignature())))
                .build();
    }

    /** Six base-36 characters: 2 billion runs before two are likely to meet. */
    private static String runToken() {
        StringBuilder token = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            token.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return token.toString();
    }
}
