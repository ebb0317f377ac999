// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.fingerprint.NumericFingerprintGenerator;
import org.signal.libsignal.protocol.util.KeyHelper;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.IdentityInfo;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.IdentityRecord;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.client.store.TrustLevel;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.ResetIdentityRequest;

/**
 * Identity keys: this account's (reset after a reinstall or a suspected leak) and its contacts'
 * (listed with safety numbers, verified or accepted after a change).
 */
final class Identities {
    private final Connections connections;
    private final ContactDirectory contacts;
    private final AccountSettings settings;
    private final AccountDatabase db;
    private final SqliteSignalStore store;
    private final LocalMessages messages;
    private final PreKeyGenerator preKeys;

    Identities(Connections connections, ContactDirectory contacts, AccountSettings settings, AccountDatabase db,
               SqliteSignalStore store, LocalMessages messages, PreKeyGenerator preKeys) {
        this.connections = connections;
        this.contacts = contacts;
        this.settings = settings;
        this.db = db;
        this.store = store;
        this.messages = messages;
        this.preKeys = preKeys;
    }

    /**
     * Gives this account a new identity key (and new prekeys), as after a reinstall or a suspected
     * key leak. Every contact sees a changed safety number and must accept it before sending here.
     * Local state changes only if the server accepted the new key.
     */
    void resetIdentity() throws ClientException {
        try {
            db.inTransaction(() -> {
                int oldRegistrationId = store.getLocalRegistrationId();
                int registrationId;
                do {
                    // A new registration id tells senders' servers-side device checks that sessions are stale.
                    registrationId = KeyHelper.generateRegistrationId(false);
                } while (registrationId == oldRegistrationId);
                IdentityKeyPair identity = IdentityKeyPair.generate();
                db.setSetting(SqliteSignalStore.IDENTITY_KEY_PAIR, identity.serialize());
                db.setSetting(SqliteSignalStore.REGISTRATION_ID,
                        Integer.toString(registrationId).getBytes(StandardCharsets.UTF_8));
                store.forgetKeysAndSessions();
                settings.forgetSenderCertificate();
                ResetIdentityRequest request = ResetIdentityRequest.newBuilder()
                        .setRegistrationId(registrationId)
                        .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
                        .setKeys(preKeys.initialKeys())
                        .build();
                Responses.checkOk(connections.call(ApiPaths.RESET_IDENTITY, request));
                return null;
            });
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Known identities, optionally only the one of {@code username}. */
    List<IdentityInfo> identities(Optional<String> onlyUsername) throws ClientException {
        List<IdentityInfo> result = new ArrayList<>();
        Optional<UUID> only = onlyUsername.isPresent() ? Optional.of(contacts.resolve(onlyUsername.get())) : Optional.empty();
        for (IdentityRecord record : store.identities()) {
            UUID account = UUID.fromString(record.address());
            if (only.isPresent() && !only.get().equals(account)) {
                continue;
            }
            String name = messages.contactUsername(account).orElse(account.toString());
            result.add(new IdentityInfo(name, account, safetyNumber(account, record.identityKey()),
                    record.trust().name(), record.addedAtMillis()));
        }
        result.sort(Comparator.comparing(IdentityInfo::username));
        return result;
    }

    private String safetyNumber(UUID remote, IdentityKey remoteKey) {
        return new NumericFingerprintGenerator(5200)
                .createFor(2, Uuids.toBytes(settings.accountId()), store.getIdentityKeyPair().getPublicKey(),
                        Uuids.toBytes(remote), remoteKey)
                .getDisplayableFingerprint().getDisplayText();
    }

    /** Marks the contact's current key verified, if {@code safetyNumber} (spaces ignored) matches it. */
    void trustVerified(String contact, String safetyNumber) throws ClientException {
        UUID account = contacts.resolve(contact);
        IdentityRecord record = store.identity(account.toString())
                .orElseThrow(() -> new UserInputException("No identity is known for " + contact
                        + " yet; exchange a message first."));
        String expected = safetyNumber(account, record.identityKey());
        if (!expected.equals(safetyNumber.replaceAll("\\s", ""))) {
            throw new UserInputException("That safety number does not match the one for " + contact
                    + ". Compare again; if they really differ, someone may be intercepting.");
        }
        store.putIdentity(account.toString(), record.identityKey(), TrustLevel.TRUSTED_VERIFIED);
    }

    /** Accepts the contact's current key without verifying it (after a change: allow sending again). */
    void trustAccept(String contact) throws ClientException {
        UUID account = contacts.resolve(contact);
        IdentityRecord record = store.identity(account.toString())
                .orElseThrow(() -> new UserInputException("No identity is known for " + contact + " yet."));
        if (record.trust() == TrustLevel.UNTRUSTED) {
            store.putIdentity(account.toString(), record.identityKey(), TrustLevel.TRUSTED_UNVERIFIED);
        }
    }
}
