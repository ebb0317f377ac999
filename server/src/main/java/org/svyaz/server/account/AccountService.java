// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.account;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.usernames.BaseUsernameException;
import org.signal.libsignal.usernames.Username;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.RegisterResponse;
import org.svyaz.protocol.wire.ResetIdentityRequest;
import org.svyaz.protocol.wire.ResetIdentityResponse;
import org.svyaz.protocol.wire.UsernameCandidate;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.protocol.wire.UsernameLookupResponse;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.limits.RateLimiter;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.sealed.SealedSenderService;
import org.svyaz.server.store.StoreException;

/** Registration, authentication, username lookup and invite codes. */
public final class AccountService {
    public static final int PRIMARY_DEVICE_ID = 1;
    private static final int MAX_USERNAME_CANDIDATES = 20;

    private final AccountStore accounts;
    private final KeyService keys;
    private final RegistrationPolicy policy;
    private final RateLimiter lookupLimiter;
    private final Clock clock;

    /** {@code lookupLimiter} limits username lookups per account ({@code RateLimit.USERNAME_LOOKUPS}). */
    public AccountService(AccountStore accounts, KeyService keys, RegistrationPolicy policy,
                          RateLimiter lookupLimiter, Clock clock) {
        this.accounts = accounts;
        this.keys = keys;
        this.policy = policy;
        this.lookupLimiter = lookupLimiter;
        this.clock = clock;
    }

    public RegisterResponse register(RegisterRequest request) throws ApiException {
        if (request.getPassword().size() != Credentials.PASSWORD_BYTES) {
            throw ApiException.malformed("The device password must be " + Credentials.PASSWORD_BYTES + " bytes.");
        }
        requireRegistrationId(request.getRegistrationId());
        IdentityKey identityKey = identityKey(request.getIdentityKey().toByteArray());
        List<byte[]> usernameHashes = verifiedUsernameHashes(request.getUsernamesList());
        keys.validateInitialKeys(identityKey, request.getKeys());
        SealedSenderAccess access = request.hasSealedSenderAccess()
                ? SealedSenderService.validated(request.getSealedSenderAccess())
                : new SealedSenderAccess(new byte[0], false);
        byte[] inviteCodeHash = null;
        if (policy == RegistrationPolicy.INVITE) {
            if (request.getInviteCode().isEmpty()) {
                throw new ApiException(ErrorCode.INVALID_INVITE,
                        "This server registers only with an invite code; ask its operator for an invite link.");
            }
            inviteCodeHash = InviteCodes.hash(request.getInviteCode());
        }

        long now = clock.millis();
        UUID accountId = UUID.randomUUID();
        byte[] salt = Credentials.newSalt();
        Device device = new Device(PRIMARY_DEVICE_ID, request.getRegistrationId(), salt,
                Credentials.hash(salt, request.getPassword().toByteArray()), now);
        CreateAccountResult result;
        try {
            // One transaction with the keys and access: a failure leaves no username held by a keyless account.
            result = accounts.create(new Account(accountId, identityKey.serialize(), now), device,
                    KeyService.deviceKeys(request.getKeys()), access, usernameHashes, inviteCodeHash, now);
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
        return switch (result) {
            case CreateAccountResult.UsernamesTaken taken -> throw new ApiException(ErrorCode.CONFLICT,
                    "That username is taken; choose another.");
            case CreateAccountResult.InviteRejected rejected -> throw new ApiException(ErrorCode.INVALID_INVITE,
                    "The invite code is unknown, already used or expired.");
            case CreateAccountResult.Created created -> {
                yield RegisterResponse.newBuilder()
                        .setAccountId(Uuids.toByteString(accountId))
                        .setDeviceId(PRIMARY_DEVICE_ID)
                        .setUsernameIndex(created.usernameIndex())
                        .build();
            }
        };
    }

    /** Gives the caller's account a new identity key; only the primary device may. */
    public ResetIdentityResponse resetIdentity(Caller caller, ResetIdentityRequest request) throws ApiException {
        if (caller.deviceId() != PRIMARY_DEVICE_ID) {
            throw new ApiException(ErrorCode.FORBIDDEN, "Only the primary device can reset the account's identity.");
        }
        requireRegistrationId(request.getRegistrationId());
        IdentityKey identityKey = identityKey(request.getIdentityKey().toByteArray());
        keys.validateInitialKeys(identityKey, request.getKeys());
        try {
            // The new keys go in the same transaction: a failure keeps the old identity and its keys.
            if (!accounts.replaceIdentity(caller.accountId(), identityKey.serialize(), PRIMARY_DEVICE_ID,
                    request.getRegistrationId(), KeyService.deviceKeys(request.getKeys()))) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "This account no longer exists.");
            }
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
        return ResetIdentityResponse.getDefaultInstance();
    }

    /** libsignal registration ids are 14-bit and never 0. */
    private static void requireRegistrationId(int registrationId) throws ApiException {
        if (registrationId < 1 || registrationId > 16380) {
            throw ApiException.malformed("The registration id is out of range.");
        }
    }

    private static IdentityKey identityKey(byte[] serialized) throws ApiException {
        try {
            return new IdentityKey(serialized);
        } catch (InvalidKeyException e) {
            throw ApiException.malformed("The identity key is not a valid public key.");
        }
    }

    private static List<byte[]> verifiedUsernameHashes(List<UsernameCandidate> candidates) throws ApiException {
        if (candidates.isEmpty() || candidates.size() > MAX_USERNAME_CANDIDATES) {
            throw ApiException.malformed("Offer between 1 and " + MAX_USERNAME_CANDIDATES + " usernames.");
        }
        List<byte[]> hashes = new ArrayList<>(candidates.size());
        for (UsernameCandidate candidate : candidates) {
            byte[] hash = candidate.getHash().toByteArray();
            try {
                // The proof shows the hash comes from a well-formed username without revealing it.
                Username.verifyProof(candidate.getProof().toByteArray(), hash);
            } catch (BaseUsernameException | RuntimeException e) {
                throw ApiException.malformed("A username proof does not verify.");
            }
            hashes.add(hash);
        }
        return hashes;
    }

    /**
     * The device an Authorization header ({@link DeviceCredentials}) names, or empty when the header
     * is malformed or the credentials are wrong: the check of every authenticated WebSocket upgrade
     * and attachment request.
     */
    public Optional<Caller> authenticate(String authorizationHeader) throws StoreException {
        Optional<DeviceCredentials> credentials = DeviceCredentials.parse(authorizationHeader);
        if (credentials.isEmpty()) {
            return Optional.empty();
        }
        DeviceCredentials c = credentials.get();
        return authenticate(c.accountId(), c.deviceId(), c.password());
    }

    /** The authenticated device for these credentials, or empty when they are wrong. */
    public Optional<Caller> authenticate(UUID accountId, int deviceId, byte[] password) throws StoreException {
        Optional<Device> device = accounts.findDevice(accountId, deviceId);
        if (device.isEmpty()) {
            // Spend the same hashing work so timing does not tell unknown accounts from wrong passwords.
            Credentials.matches(new byte[16], new byte[32], password);
            return Optional.empty();
        }
        return Credentials.matches(device.get().credentialSalt(), device.get().credentialHash(), password)
                ? Optional.of(new Caller(accountId, deviceId))
                : Optional.empty();
    }

    /**
     * The account holding a username hash. Limited per caller, so that one account cannot walk a
     * dictionary of usernames and map who is on the server.
     */
    public UsernameLookupResponse lookup(Caller caller, UsernameLookupRequest request) throws ApiException {
        if (request.getHash().size() != 32) {
            throw ApiException.malformed("A username hash is 32 bytes.");
        }
        if (!lookupLimiter.tryAcquire(caller.accountId())) {
            throw new ApiException(ErrorCode.RATE_LIMITED, "Too many username lookups; wait "
                    + lookupLimiter.secondsUntilNextToken() + " s and try again.");
        }
        try {
            UUID accountId = accounts.findByUsernameHash(request.getHash().toByteArray())
                    .orElseThrow(() -> new ApiException(ErrorCode.NOT_FOUND, "No account has that username."));
            return UsernameLookupResponse.newBuilder().setAccountId(Uuids.toByteString(accountId)).build();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }


}
