// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.keys;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.svyaz.protocol.wire.DeviceBundle;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.KeyCountResponse;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.PreKey;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.SignedPreKey;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.RequestHandler;
import org.svyaz.server.api.Caller;
import org.svyaz.server.limits.RateLimiter;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.DeviceKeys;
import org.svyaz.server.store.KeyCounts;
import org.svyaz.server.store.KeyStore;
import org.svyaz.server.store.PublicPreKey;
import org.svyaz.server.store.StoreException;

/**
 * Prekeys: devices upload public keys, others fetch one bundle per device to start a PQXDH session.
 * Signatures are checked on upload so a bundle handed out is always one the account signed.
 */
public final class KeyService {
    /** More could never be stored at once: a device keeps at most this many of each kind. */
    public static final int MAX_KEYS_PER_UPLOAD = KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE;

    private final AccountStore accounts;
    private final KeyStore keys;
    private final RateLimiter fetchLimiter;

    /**
     * {@code fetchLimiter} limits the one-time keys handed out per (requesting account, target
     * account) ({@code RateLimit.PREKEY_FETCHES}): each bundle with them uses up one of each kind.
     */
    public KeyService(AccountStore accounts, KeyStore keys, RateLimiter fetchLimiter) {
        this.accounts = accounts;
        this.keys = keys;
        this.fetchLimiter = fetchLimiter;
    }

    /** Registration must bring a signed prekey and a Kyber last-resort key, or nobody could start a session. */
    public void validateInitialKeys(IdentityKey identityKey, KeyUpload upload) throws ApiException {
        if (!upload.hasSignedPreKey() || !upload.hasKyberLastResort()) {
            throw ApiException.malformed("Registration needs a signed prekey and a Kyber last-resort prekey.");
        }
        validate(identityKey, upload);
    }

    private static void validate(IdentityKey identityKey, KeyUpload upload) throws ApiException {
        if (upload.getPreKeysCount() > MAX_KEYS_PER_UPLOAD || upload.getKyberPreKeysCount() > MAX_KEYS_PER_UPLOAD) {
            throw new ApiException(ErrorCode.TOO_LARGE, "Upload at most " + MAX_KEYS_PER_UPLOAD + " keys of a kind at once.");
        }
        if (upload.hasSignedPreKey()) {
            checkSigned(identityKey, upload.getSignedPreKey(), false);
        }
        if (upload.hasKyberLastResort()) {
            checkSigned(identityKey, upload.getKyberLastResort(), true);
        }
        for (SignedPreKey kyber : upload.getKyberPreKeysList()) {
            checkSigned(identityKey, kyber, true);
        }
        for (PreKey preKey : upload.getPreKeysList()) {
            try {
                new ECPublicKey(preKey.getPublicKey().toByteArray());
            } catch (InvalidKeyException | RuntimeException e) {
                throw ApiException.malformed("A one-time prekey is not a valid public key.");
            }
        }
    }

    private static void checkSigned(IdentityKey identityKey, SignedPreKey key, boolean kyber) throws ApiException {
        byte[] publicKey = key.getPublicKey().toByteArray();
        try {
            if (kyber) {
                new KEMPublicKey(publicKey);
            } else {
                new ECPublicKey(publicKey);
            }
        } catch (InvalidKeyException | RuntimeException e) {
            throw ApiException.malformed("A signed prekey is not a valid public key.");
        }
        if (!identityKey.getPublicKey().verifySignature(publicKey, key.getSignature().toByteArray())) {
            throw ApiException.malformed("A prekey signature does not verify against the account's identity key.");
        }
    }

    /**
     * Stores already-validated keys of a device that has some already. A pool that would hold more than
     * {@link KeyStore#MAX_ONE_TIME_KEYS_PER_DEVICE} keys is refused whole with TOO_LARGE (the
     * other kind's pool and the signed keys of the same upload are still stored): a client tops
     * up when it runs low, so only a device bent on filling the database gets here.
     */
    private void store(UUID accountId, int deviceId, KeyUpload upload) throws ApiException {
        try {
            if (upload.hasSignedPreKey()) {
                keys.setSignedPreKey(accountId, deviceId, toStored(upload.getSignedPreKey()));
            }
            if (upload.hasKyberLastResort()) {
                keys.setKyberLastResort(accountId, deviceId, toStored(upload.getKyberLastResort()));
            }
            boolean preKeysFit = keys.addPreKeys(accountId, deviceId, upload.getPreKeysList().stream()
                    .map(KeyService::toStored).toList());
            boolean kyberFit = keys.addKyberPreKeys(accountId, deviceId, upload.getKyberPreKeysList().stream()
                    .map(KeyService::toStored).toList());
            if (!preKeysFit || !kyberFit) {
                throw new ApiException(ErrorCode.TOO_LARGE, "The server keeps at most "
                        + KeyStore.MAX_ONE_TIME_KEYS_PER_DEVICE + " one-time keys of a kind per device; "
                        + "upload more only when it holds fewer.");
            }
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * A device's first keys (validated, see {@link #validateInitialKeys}) as the account store keeps
     * them with a new account or a reset identity, in the same transaction.
     */
    public static DeviceKeys deviceKeys(KeyUpload upload) {
        return new DeviceKeys(
                upload.hasSignedPreKey() ? Optional.of(toStored(upload.getSignedPreKey())) : Optional.empty(),
                upload.hasKyberLastResort() ? Optional.of(toStored(upload.getKyberLastResort())) : Optional.empty(),
                upload.getPreKeysList().stream().map(KeyService::toStored).toList(),
                upload.getKyberPreKeysList().stream().map(KeyService::toStored).toList());
    }

    public void upload(Caller caller, KeyUpload upload) throws ApiException {
        validate(identityKeyOf(caller.accountId()), upload);
        store(caller.accountId(), caller.deviceId(), upload);
    }

    public KeyCountResponse count(Caller caller) throws ApiException {
        try {
            KeyCounts counts = keys.count(caller.accountId(), caller.deviceId());
            return KeyCountResponse.newBuilder()
                    .setPreKeys(counts.preKeys())
                    .setKyberPreKeys(counts.kyberPreKeys())
                    .build();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * One bundle per device of the account; each one-time key in it is handed out only this once.
     *
     * <p>One-time keys are limited per (caller, target): beyond the limit the bundle carries only
     * the signed prekey and the Kyber last-resort key, so no account can drain another's one-time
     * keys (after which everyone's sessions with it would start without one). The bundle is not
     * refused: a client sends again and again to a contact whose identity key changed until the
     * user accepts it (each send fetches the bundle, several at once from the app), and each must
     * say the key changed, not that it was rate limited.
     */
    public PreKeyBundleResponse bundle(Caller caller, PreKeyBundleRequest request) throws ApiException {
        UUID accountId = RequestHandler.accountId(request.getAccountId());
        boolean oneTimeKeys = fetchLimiter.tryAcquire(RateLimiter.pairKey(caller.accountId(), accountId));
        try {
            Optional<Account> account = accounts.findAccount(accountId);
            if (account.isEmpty()) {
                throw new ApiException(ErrorCode.NOT_FOUND, "No such account.");
            }
            List<DeviceBundle> bundles = new ArrayList<>();
            for (Device device : accounts.findDevices(accountId)) {
                Optional<PublicPreKey> signed = keys.signedPreKey(accountId, device.id());
                Optional<PublicPreKey> kyber = oneTimeKeys
                        ? keys.takeKyberPreKey(accountId, device.id())
                        : keys.kyberLastResort(accountId, device.id());
                if (signed.isEmpty() || kyber.isEmpty()) {
                    continue; // A device without keys cannot receive; senders learn of it as a missing device.
                }
                DeviceBundle.Builder bundle = DeviceBundle.newBuilder()
                        .setDeviceId(device.id())
                        .setRegistrationId(device.registrationId())
                        .setSignedPreKey(toWire(signed.get()))
                        .setKyberPreKey(toWire(kyber.get()));
                if (oneTimeKeys) {
                    keys.takePreKey(accountId, device.id()).ifPresent(k -> bundle.setPreKey(PreKey.newBuilder()
                            .setId(k.id()).setPublicKey(ByteString.copyFrom(k.publicKey()))));
                }
                bundles.add(bundle.build());
            }
            return PreKeyBundleResponse.newBuilder()
                    .setIdentityKey(ByteString.copyFrom(account.get().identityKey()))
                    .addAllDevices(bundles)
                    .build();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    private IdentityKey identityKeyOf(UUID accountId) throws ApiException {
        try {
            Account account = accounts.findAccount(accountId)
                    .orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED, "This account no longer exists."));
            return new IdentityKey(account.identityKey());
        } catch (StoreException e) {
            throw ApiException.unavailable();
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a stored identity key was validated on registration", e);
        }
    }

    private static PublicPreKey toStored(PreKey key) {
        return new PublicPreKey(key.getId(), key.getPublicKey().toByteArray(), new byte[0]);
    }

    private static PublicPreKey toStored(SignedPreKey key) {
        return new PublicPreKey(key.getId(), key.getPublicKey().toByteArray(), key.getSignature().toByteArray());
    }

    private static SignedPreKey toWire(PublicPreKey key) {
        return SignedPreKey.newBuilder()
                .setId(key.id())
                .setPublicKey(ByteString.copyFrom(key.publicKey()))
                .setSignature(ByteString.copyFrom(key.signature()))
                .build();
    }
}
