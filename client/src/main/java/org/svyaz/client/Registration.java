// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import com.google.protobuf.ByteString;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.util.KeyHelper;
import org.signal.libsignal.usernames.BaseUsernameException;
import org.signal.libsignal.usernames.Username;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.api.UsernameTakenException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.RegisterResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SealedSenderAccess;
import org.svyaz.protocol.wire.UsernameCandidate;

/**
 * Registers a new account: makes its keys in a staging directory, asks the server for one of the
 * username candidates, and moves the directory into place only once the server said yes, so a
 * failed registration leaves no half-made account behind.
 */
final class Registration {
    static final String ACCOUNT_FILE = "account.db";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Registration() {}

    /** Registers on the server of {@code link} (through {@code relays} if need be); returns the account's directory. */
    static Path register(Path accountsRoot, InviteLink link, List<RelayLink> relays, String requestedUsername,
                         Clock clock) throws ClientException {
        for (RelayLink relay : relays) {
            if (!relay.descriptor().getServerIdentityKey().equals(link.descriptor().getIdentityKey())) {
                throw new UserInputException("A relay link forwards to another server than the invite link names.");
            }
        }
        if (link.expired(clock.millis())) {
            throw new UserInputException("This invite link has expired; ask the server's operator or a friend for a "
                    + "current one.");
        }
        List<RelayLink> routes = new ArrayList<>(relays);
        routes.addAll(link.relays());
        link.descriptor().getRelaysList().forEach(r -> routes.add(new RelayLink(r)));
        List<Username> candidates = usernameCandidates(requestedUsername);
        Path staging;
        try {
            Files.createDirectories(accountsRoot);
            staging = Files.createTempDirectory(accountsRoot, ".registering-");
        } catch (IOException e) {
            throw new LocalFailureException("Cannot create the account directory under " + accountsRoot + ": "
                    + e.getMessage(), e);
        }
        try {
            Username chosen;
            try (AccountDatabase db = openDatabase(staging.resolve(ACCOUNT_FILE))) {
                chosen = registerInto(db, link, routes, relays, candidates, clock);
            }
            Path finalDir = accountsRoot.resolve(chosen.getUsername());
            try {
                Files.move(staging, finalDir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new LocalFailureException("Registered as " + chosen.getUsername() + " but cannot move the "
                        + "account into " + finalDir + ": " + e.getMessage(), e);
            }
            staging = null;
            return finalDir;
        } finally {
            if (staging != null) {
                deleteRecursively(staging);
            }
        }
    }

    private static Username registerInto(AccountDatabase db, InviteLink link, List<RelayLink> routes,
                                         List<RelayLink> userRelays, List<Username> candidates, Clock clock)
            throws ClientException {
        try {
            IdentityKeyPair identity = IdentityKeyPair.generate();
            int registrationId = KeyHelper.generateRegistrationId(false);
            byte[] password = new byte[32];
            RANDOM.nextBytes(password);
            byte[] profileKey = new byte[32];
            RANDOM.nextBytes(profileKey);
            db.setSetting(AccountSettings.PROFILE_KEY, profileKey);
            db.setSetting(SqliteSignalStore.IDENTITY_KEY_PAIR, identity.serialize());
            db.setSetting(SqliteSignalStore.REGISTRATION_ID,
                    Integer.toString(registrationId).getBytes(StandardCharsets.UTF_8));
            SqliteSignalStore store = new SqliteSignalStore(db, clock);
            RegisterRequest.Builder request = RegisterRequest.newBuilder()
                    .setPassword(ByteString.copyFrom(password))
                    .setRegistrationId(registrationId)
                    .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
                    .setKeys(new PreKeyGenerator(db, store, clock).initialKeys());
            link.inviteCode().ifPresent(request::setInviteCode);
            request.setSealedSenderAccess(SealedSenderAccess.newBuilder()
                    .setAccessKey(ByteString.copyFrom(ProfileCipher.accessKey(profileKey))));
            for (Username candidate : candidates) {
                request.addUsernames(UsernameCandidate.newBuilder()
                        .setHash(ByteString.copyFrom(candidate.getHash()))
                        .setProof(ByteString.copyFrom(candidate.generateProof())));
            }
            Response response;
            try (ServerConnection anonymous = ServerConnection.connect(link, routes, Optional.empty(), Optional.empty(),
                    push -> Response.newBuilder().setError(ErrorCode.UNAUTHORIZED).build(), CONNECT_TIMEOUT)) {
                response = anonymous.call(ApiPaths.REGISTER, request.build(), Connections.REQUEST_TIMEOUT);
            } catch (ConnectionException e) {
                throw new NetworkException(e.getMessage(), e);
            }
            if (response.getError() == ErrorCode.CONFLICT) {
                throw new UsernameTakenException(candidates.size() == 1
                        ? "The username " + candidates.getFirst().getUsername() + " is taken; choose another."
                        : "No free digits were found for that nickname; choose another nickname.");
            }
            RegisterResponse registered = Responses.parse(Responses.checkOk(response), RegisterResponse.parser());
            Username chosen = candidates.get(registered.getUsernameIndex());
            AccountSettings.storeRegistration(db, link, Uuids.fromByteString(registered.getAccountId()),
                    registered.getDeviceId(), password, chosen.getUsername(), userRelays);
            return chosen;
        } catch (BaseUsernameException e) {
            throw new UserInputException("Cannot make a username proof: " + e.getMessage(), e);
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** {@code nick.42} as given, or for a bare {@code nick} a list of candidates with random digits. */
    static List<Username> usernameCandidates(String requested) throws UserInputException {
        if (requested == null || requested.isBlank()) {
            throw new UserInputException("A username is required, for example alice.42 or just alice.");
        }
        try {
            if (requested.contains(".")) {
                return List.of(new Username(requested));
            }
            return Username.candidatesFrom(requested, 3, 32).stream().limit(20).toList();
        } catch (BaseUsernameException e) {
            throw new UserInputException("'" + requested + "' is not a valid username: a nickname of 3-32 letters, "
                    + "digits or underscores (not starting with a digit), then a dot and at least two digits "
                    + "other than 00, like alice.42.", e);
        }
    }

    static AccountDatabase openDatabase(Path file) throws LocalFailureException {
        try {
            return AccountDatabase.open(file);
        } catch (SQLException e) {
            throw new LocalFailureException("Cannot open the local database " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort: a leftover staging directory is harmless and ignored by listings.
                }
            });
        } catch (IOException ignored) {
            // Same as above.
        }
    }
}
