// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.sealed;

import com.google.protobuf.ByteString;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.SenderCertificateResponse;
import org.svyaz.protocol.wire.SetSealedSenderAccessResponse;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.identity.SenderCertificateIssuer;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.StoreException;

/** Sender certificates for authenticated devices, and each account's sealed-sender access setting. */
public final class SealedSenderService {
    private final AccountStore accounts;
    private final SenderCertificateIssuer issuer;

    public SealedSenderService(AccountStore accounts, SenderCertificateIssuer issuer) {
        this.accounts = accounts;
        this.issuer = issuer;
    }

    public SenderCertificateResponse certificate(Caller caller) throws ApiException {
        try {
            Account account = accounts.findAccount(caller.accountId())
                    .orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED, "This account no longer exists."));
            IdentityKey identityKey = new IdentityKey(account.identityKey());
            return SenderCertificateResponse.newBuilder()
                    .setCertificate(ByteString.copyFrom(issuer.issue(caller.accountId(), caller.deviceId(),
                            identityKey.getPublicKey()).getSerialized()))
                    .build();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a stored identity key was validated on registration", e);
        }
    }

    public SetSealedSenderAccessResponse setAccess(Caller caller, org.svyaz.protocol.wire.SealedSenderAccess request)
            throws ApiException {
        try {
            if (!accounts.setSealedSenderAccess(caller.accountId(), validated(request))) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "This account no longer exists.");
            }
            return SetSealedSenderAccessResponse.getDefaultInstance();
        } catch (StoreException e) {
            throw ApiException.unavailable();
        }
    }

    /** An access key is 16 bytes; only an account open to everyone may leave it empty. */
    public static SealedSenderAccess validated(org.svyaz.protocol.wire.SealedSenderAccess request) throws ApiException {
        int length = request.getAccessKey().size();
        if (length != SealedSenderAccess.ACCESS_KEY_BYTES && !(length == 0 && request.getUnrestricted())) {
            throw ApiException.malformed("A sealed-sender access key is " + SealedSenderAccess.ACCESS_KEY_BYTES + " bytes.");
        }
        return new SealedSenderAccess(request.getAccessKey().toByteArray(), request.getUnrestricted());
    }
}
