// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.relay.RelayList;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.GetProfileRequest;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.KeyUploadResponse;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.RelaysRequest;
import org.svyaz.protocol.wire.ResetIdentityRequest;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SealedSenderAccess;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SenderCertificateRequest;
import org.svyaz.protocol.wire.SetProfileRequest;
import org.svyaz.protocol.wire.TurnCredentialsRequest;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.server.account.AccountService;
import org.svyaz.server.account.ProfileService;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.message.MessageService;
import org.svyaz.server.sealed.SealedSenderService;

/**
 * Every API path and who may call it: the one table from a request path to the service that
 * answers it. "Anonymous" paths need no device credentials (registration, sealed sends, profiles,
 * the descriptor); the services check what else each needs.
 */
public final class Routes {
    private Routes() {}

    /** A dispatcher for every path, counting requests in {@code metrics}. */
    public static Dispatcher dispatcher(MeterRegistry metrics, AccountService accounts, KeyService keys,
                                        MessageService messages, SealedSenderService sealedSender,
                                        ProfileService profiles, DescriptorRoute descriptor,
                                        RelayGrants relayGrants, TurnCredentialIssuer turn) {
        return new Dispatcher(metrics)
                .anonymous(ApiPaths.REGISTER,
                        (caller, body) -> accounts.register(RequestHandler.parse(RegisterRequest.parser(), body)))
                .authenticated(ApiPaths.RESET_IDENTITY,
                        (caller, body) -> accounts.resetIdentity(caller, RequestHandler.parse(ResetIdentityRequest.parser(), body)))
                .authenticated(ApiPaths.PROFILE_SET,
                        (caller, body) -> profiles.set(caller, RequestHandler.parse(SetProfileRequest.parser(), body)))
                .anonymous(ApiPaths.PROFILE_GET,
                        (caller, body) -> profiles.get(caller, RequestHandler.parse(GetProfileRequest.parser(), body)))
                .authenticated(ApiPaths.USERNAME_LOOKUP,
                        (caller, body) -> accounts.lookup(caller, RequestHandler.parse(UsernameLookupRequest.parser(), body)))
                .authenticated(ApiPaths.KEYS_UPLOAD, (caller, body) -> {
                    keys.upload(caller, RequestHandler.parse(KeyUpload.parser(), body));
                    return KeyUploadResponse.getDefaultInstance();
                })
                .authenticated(ApiPaths.KEYS_COUNT, (caller, body) -> {
                    RequestHandler.parse(KeyCountRequest.parser(), body);
                    return keys.count(caller);
                })
                .authenticated(ApiPaths.KEYS_BUNDLE,
                        (caller, body) -> keys.bundle(caller, RequestHandler.parse(PreKeyBundleRequest.parser(), body)))
                .authenticated(ApiPaths.MESSAGES_SEND,
                        (caller, body) -> messages.send(caller, RequestHandler.parse(SendRequest.parser(), body)))
                .anonymousPerConnection(ApiPaths.MESSAGES_SEND_SEALED, (connection, body) -> messages.sendSealed(
                        connection, RequestHandler.parse(SealedSendRequest.parser(), body)))
                .authenticated(ApiPaths.MESSAGES_SEND_MULTI, (caller, body) -> messages.sendMultiRecipient(caller,
                        RequestHandler.parse(MultiRecipientSendRequest.parser(), body)))
                .anonymousPerConnection(ApiPaths.MESSAGES_SEND_MULTI_SEALED, (connection, body) ->
                        messages.sendMultiRecipientSealed(connection,
                                RequestHandler.parse(MultiRecipientSendRequest.parser(), body)))
                .authenticated(ApiPaths.SENDER_CERTIFICATE, (caller, body) -> {
                    RequestHandler.parse(SenderCertificateRequest.parser(), body);
                    return sealedSender.certificate(caller);
                })
                .authenticated(ApiPaths.SEALED_SENDER_ACCESS, (caller, body) -> sealedSender.setAccess(caller,
                        RequestHandler.parse(SealedSenderAccess.parser(), body)))
                .anonymous(ApiPaths.DESCRIPTOR, descriptor)
                // Relays only for accounts, each its own few: the descriptor is public, this is not.
                .authenticated(ApiPaths.RELAYS, (caller, body) -> {
                    RequestHandler.parse(RelaysRequest.parser(), body);
                    return RelayList.newBuilder().addAllRelays(relayGrants.forAccount(caller.accountId()).stream()
                            .map(RelayLink::descriptor).toList()).build();
                })
                .authenticated(ApiPaths.TURN_CREDENTIALS, (caller, body) -> {
                    RequestHandler.parse(TurnCredentialsRequest.parser(), body);
                    try {
                        return turn.issue().orElseThrow(() -> new ApiException(ErrorCode.NOT_FOUND,
                                "This server has no TURN server for calls."));
                    } catch (IOException e) {
                        throw new ApiException(ErrorCode.UNAVAILABLE, "The TURN settings could not be read.");
                    }
                });
    }
}
