// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.signal.libsignal.usernames.BaseUsernameException;
import org.signal.libsignal.usernames.Username;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.GetProfileRequest;
import org.svyaz.protocol.wire.GetProfileResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.protocol.wire.UsernameLookupResponse;

/**
 * Who is who: the account behind a username (from the contacts, else asked of the server by the
 * username's hash), the username a sender claims (believed only when the server confirms it) and
 * contacts' profile names (decrypted here with their profile keys).
 */
final class ContactDirectory {
    private static final Logger log = LoggerFactory.getLogger(ContactDirectory.class);
    private static final Duration PROFILE_CACHE = Duration.ofMinutes(5);

    private final Connections connections;
    private final AccountSettings settings;
    private final LocalMessages messages;
    private final Clock clock;

    ContactDirectory(Connections connections, AccountSettings settings, LocalMessages messages, Clock clock) {
        this.connections = connections;
        this.settings = settings;
        this.messages = messages;
        this.clock = clock;
    }

    /** The account behind a username, from the contacts or the server. */
    UUID resolve(String recipient) throws ClientException {
        Username parsed;
        try {
            parsed = new Username(recipient);
        } catch (BaseUsernameException e) {
            throw new UserInputException("'" + recipient + "' is not a username (like alice.42).", e);
        }
        Optional<UUID> known = messages.contactAccount(parsed.getUsername());
        if (known.isPresent()) {
            return known.get();
        }
        Response response = connections.call(ApiPaths.USERNAME_LOOKUP,
                UsernameLookupRequest.newBuilder().setHash(ByteString.copyFrom(parsed.getHash())).build());
        if (response.getError() == ErrorCode.NOT_FOUND) {
            throw new UnknownUserException("No account is registered as " + parsed.getUsername() + " on this server.");
        }
        UUID id = Uuids.fromByteString(Responses.parse(Responses.checkOk(response), UsernameLookupResponse.parser())
                .getAccountId());
        messages.putContact(id, parsed.getUsername());
        return id;
    }

    /** The account behind a username when it is known here already; never asks the server. */
    Optional<UUID> known(String username) {
        try {
            return messages.contactAccount(new Username(username).getUsername());
        } catch (BaseUsernameException e) {
            return Optional.empty();
        }
    }

    /** The username of an account: this one's, or a contact's confirmed one. */
    Optional<String> usernameOf(UUID account) {
        return account.equals(settings.accountId()) ? Optional.of(settings.username()) : messages.contactUsername(account);
    }

    /** A sender's claimed username counts only if the server maps it to the sender's account. */
    Optional<String> confirmedUsername(UUID account, Optional<String> claimed) throws ClientException {
        Optional<String> known = messages.contactUsername(account);
        if (known.isPresent() || claimed.isEmpty()) {
            return known;
        }
        try {
            UUID resolved = resolve(claimed.get());
            return resolved.equals(account) ? Optional.of(claimed.get()) : Optional.empty();
        } catch (UnknownUserException | UserInputException e) {
            return Optional.empty();
        } catch (NetworkException | ServerRejectedException | RateLimitedException e) {
            // Show the message now under the account id rather than hold it back.
            log.warn("could not confirm a sender's username: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A contact's profile name, decrypted with the profile key they sent us; cached for a few minutes
     * so a renamed contact shows the new name soon without a fetch per message.
     */
    Optional<String> profileName(UUID account) {
        Optional<byte[]> profileKey = messages.profileKey(account);
        if (profileKey.isEmpty()) {
            return Optional.empty();
        }
        Optional<LocalMessages.CachedName> cached = messages.profileName(account);
        if (cached.isPresent() && clock.millis() - cached.get().fetchedAtMillis() < PROFILE_CACHE.toMillis()) {
            return cached.get().name();
        }
        try {
            // Anonymously, with the contact's access key: the server must not learn who reads whose
            // profile, which would name the sender of every sealed message right after delivery.
            // Short timeout: a name is nice to have, and must not hold back showing the message.
            Response response = connections.callAnonymously(ApiPaths.PROFILE_GET, GetProfileRequest.newBuilder()
                    .setAccountId(Uuids.toByteString(account))
                    .setAccessKey(ByteString.copyFrom(ProfileCipher.accessKey(profileKey.get())))
                    .build(), Connections.REFILL_TIMEOUT);
            GetProfileResponse profile = Responses.parse(Responses.checkOk(response), GetProfileResponse.parser());
            Optional<String> name = ProfileCipher.decryptName(profileKey.get(), profile.getNameCiphertext().toByteArray());
            messages.putProfileName(account, name, clock.millis());
            return name;
        } catch (ClientException e) {
            log.warn("could not fetch a contact's profile: {}", e.getMessage());
            return cached.flatMap(LocalMessages.CachedName::name);
        }
    }
}
