// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.account;

import com.google.protobuf.ByteString;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.GetProfileRequest;
import org.svyaz.protocol.wire.GetProfileResponse;
import org.svyaz.protocol.wire.SetProfileRequest;
import org.svyaz.protocol.wire.SetProfileResponse;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.RequestHandler;
import org.svyaz.server.api.Caller;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/** Encrypted profiles: stored and handed out as opaque ciphertext. */
public final class ProfileService {
    /** Nonce, a padded name of up to 257 bytes, and the GCM tag fit with room to spare. */
    public static final int MAX_PROFILE_BYTES = 512;

    private final AccountStore accounts;

    public ProfileService(AccountStore accounts) {
        this.accounts = accounts;
    }

    public SetProfileResponse set(Caller caller, SetProfileRequest request) throws ApiException {
        if (request.getNameCiphertext().size() > MAX_PROFILE_BYTES) {
            throw new ApiException(ErrorCode.TOO_LARGE, "A profile may be at most " + MAX_PROFILE_BYTES + " bytes.");
        }
        try {
            if (!accounts.setProfile(caller.accountId(), request.getNameCiphertext().toByteArray())) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "This account no longer exists.");
            }
            return SetProfileResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /**
     * An authenticated device may fetch any profile (it is ciphertext without the profile key). An
     * anonymous caller must present the account's access key, which only its contacts can derive;
     * unknown accounts and wrong keys answer alike.
     */
    public GetProfileResponse get(Caller caller, GetProfileRequest request) throws ApiException {
        UUID accountId = RequestHandler.accountId(request.getAccountId());
        try {
            if (caller == null) {
                Optional<SealedSenderAccess> access = accounts.findSealedSenderAccess(accountId);
                if (access.isEmpty() || !access.get().permits(request.getAccessKey().toByteArray())) {
                    throw new ApiException(ErrorCode.UNAUTHORIZED, "The access key does not let you read this profile.");
                }
            } else if (accounts.findAccount(accountId).isEmpty()) {
                throw new ApiException(ErrorCode.NOT_FOUND, "No such account.");
            }
            return GetProfileResponse.newBuilder()
                    .setNameCiphertext(ByteString.copyFrom(accounts.findProfile(accountId).orElse(new byte[0])))
                    .build();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }
}
