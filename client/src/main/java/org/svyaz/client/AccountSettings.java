// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import com.google.protobuf.InvalidProtocolBufferException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.net.NetworkIdentity;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.Routes;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;

/**
 * The account as this device keeps it in the settings of its database: who it is, on which
 * server (the descriptor as last verified), the relays and routes that reach that server, and the
 * sender certificate it last got.
 */
final class AccountSettings {
    private static final Logger log = LoggerFactory.getLogger(AccountSettings.class);
    static final String SERVER_LINK = "server_link";
    /** Per network (see {@link NetworkIdentity}): the key of the route that won there last. */
    private static final String ROUTE_PREFIX = "route.";
    /** Per network: after how many bytes a flow froze there (a censor's byte limit per flow). */
    private static final String FLOW_LIMIT_PREFIX = "flow_limit.";
    private static final String RELAYS_ONLY = "relays_only";
    private static final String READ_RECEIPTS = "read_receipts";
    private static final String TYPING_INDICATORS = "typing_indicators";
    private static final String ALWAYS_RELAY_CALLS = "always_relay_calls";
    static final String ACCOUNT_ID = "account_id";
    private static final String DEVICE_ID = "device_id";
    private static final String PASSWORD = "password";
    private static final String USERNAME = "username";
    static final String PROFILE_KEY = "profile_key";
    private static final String SENDER_CERTIFICATE = "sender_certificate";
    private static final String RELAYS = "relays";
    /** The relays the server handed to this account (or its invite carried), with tokens that expire. */
    private static final String SERVER_RELAYS = "server_relays";
    private static final String SERVER_RELAYS_FETCHED_AT = "server_relays_fetched_at";

    private final AccountDatabase db;
    private final UUID accountId;
    private final int deviceId;
    private final byte[] password;
    private final String username;
    /** The server's descriptor as last verified; replaced when the server sends a newer one. */
    private volatile InviteLink server;

    AccountSettings(AccountDatabase db) throws ClientException {
        this.db = db;
        byte[] link = db.setting(SERVER_LINK);
        if (link == null || db.setting(ACCOUNT_ID) == null) {
            throw new UserInputException("This account was never registered completely; register it again.");
        }
        try {
            this.server = InviteLink.parse(new String(link, StandardCharsets.UTF_8));
        } catch (InvalidInviteLinkException e) {
            throw new LocalFailureException("The stored server link is damaged: " + e.getMessage(), e);
        }
        this.accountId = UUID.fromString(text(ACCOUNT_ID));
        this.deviceId = Integer.parseInt(text(DEVICE_ID));
        this.password = db.setting(PASSWORD);
        this.username = text(USERNAME);
    }

    /**
     * What registration learned; once stored, the account opens. {@code relays} are those the user
     * gave; the invite's own relays serve until the server hands this account its own.
     */
    static void storeRegistration(AccountDatabase db, InviteLink link, UUID accountId, int deviceId, byte[] password,
                                  String username, List<RelayLink> relays) {
        db.setSetting(SERVER_LINK, link.withoutCode().toString().getBytes(StandardCharsets.UTF_8));
        db.setSetting(ACCOUNT_ID, accountId.toString().getBytes(StandardCharsets.UTF_8));
        db.setSetting(DEVICE_ID, Integer.toString(deviceId).getBytes(StandardCharsets.UTF_8));
        db.setSetting(PASSWORD, password);
        db.setSetting(USERNAME, username.getBytes(StandardCharsets.UTF_8));
        if (!relays.isEmpty()) {
            db.setSetting(RELAYS, joined(relays));
        }
        if (!link.relays().isEmpty()) {
            db.setSetting(SERVER_RELAYS, joined(link.relays()));
        }
    }

    private static byte[] joined(List<RelayLink> relays) {
        return String.join("\n", relays.stream().map(RelayLink::toString).toList()).getBytes(StandardCharsets.UTF_8);
    }

    private String text(String setting) {
        return new String(db.setting(setting), StandardCharsets.UTF_8);
    }

    UUID accountId() {
        return accountId;
    }

    int deviceId() {
        return deviceId;
    }

    String username() {
        return username;
    }

    /** This device's credentials, for the authenticated connection and the plain-HTTP paths. */
    DeviceCredentials credentials() {
        return new DeviceCredentials(accountId, deviceId, password);
    }

    byte[] profileKey() {
        return db.setting(PROFILE_KEY);
    }

    /** The server as last verified, without waiting for a refresh (see {@link Connections#server()}). */
    InviteLink server() {
        return server;
    }

    /**
     * Keeps a descriptor the server sent if it is newer and signed by the same identity key, so new
     * addresses and relays reach every client while the old ones still work.
     */
    synchronized void adoptDescriptor(SignedServerDescriptor signed, long nowMillis)
            throws InvalidProtocolBufferException, InvalidInviteLinkException {
        long offeredIssuedAt = ServerDescriptor.parseFrom(signed.getDescriptorBytes()).getIssuedAt();
        if (offeredIssuedAt < server.descriptor().getIssuedAt()) {
            // The nodes of a cluster each sign at their own start, so one started earlier serves an
            // older descriptor than another did: ours is newer, nothing to do.
            return;
        }
        InviteLink next = server.refreshedBy(signed, nowMillis);
        if (next.descriptor().getIssuedAt() > server.descriptor().getIssuedAt()) {
            db.setSetting(SERVER_LINK, next.toString().getBytes(StandardCharsets.UTF_8));
            server = next;
        }
    }

    /**
     * Relays to fall back on when the server cannot be reached directly: those the user added, in
     * order, then those the server handed to this account whose tokens have not expired, then those
     * an older server's descriptor named.
     */
    List<RelayLink> relays() {
        List<RelayLink> relays = new ArrayList<>(stored(RELAYS));
        long now = System.currentTimeMillis();
        for (RelayLink granted : stored(SERVER_RELAYS)) {
            if (granted.expiresAtMillis() > now) {
                addUnlessKnown(relays, granted);
            }
        }
        for (var described : server.descriptor().getRelaysList()) {
            addUnlessKnown(relays, new RelayLink(described));
        }
        return relays;
    }

    private static void addUnlessKnown(List<RelayLink> relays, RelayLink relay) {
        if (relays.stream().noneMatch(relay::sameRelay)) {
            relays.add(relay);
        }
    }

    /**
     * Keeps the relays the server just handed out in place of those it handed out before. The same
     * relays with tokens younger than {@code renewAfter} are left as they are: every connection asks,
     * and the database need not be written each time.
     */
    synchronized void storeServerRelays(List<RelayLink> relays, long nowMillis, Duration renewAfter)
            throws InvalidInviteLinkException {
        for (RelayLink relay : relays) {
            if (!relay.descriptor().getServerIdentityKey().equals(server.descriptor().getIdentityKey())) {
                throw new InvalidInviteLinkException("The server handed out a relay that forwards to another server.");
            }
        }
        List<RelayLink> known = stored(SERVER_RELAYS);
        boolean sameRelays = known.size() == relays.size()
                && known.stream().allMatch(k -> relays.stream().anyMatch(k::sameRelay));
        if (sameRelays && nowMillis - fetchedAtMillis() < renewAfter.toMillis()) {
            return;
        }
        db.setSetting(SERVER_RELAYS, joined(relays));
        db.setSetting(SERVER_RELAYS_FETCHED_AT, Long.toString(nowMillis).getBytes(StandardCharsets.UTF_8));
    }

    /** When the server's relays were last kept; 0 when never (an invite's relays count as never). */
    private long fetchedAtMillis() {
        byte[] stored = db.setting(SERVER_RELAYS_FETCHED_AT);
        return stored == null ? 0 : Long.parseLong(new String(stored, StandardCharsets.UTF_8));
    }

    private List<RelayLink> userRelays() {
        return stored(RELAYS);
    }

    private List<RelayLink> stored(String setting) {
        byte[] stored = db.setting(setting);
        if (stored == null) {
            return List.of();
        }
        List<RelayLink> relays = new ArrayList<>();
        for (String line : new String(stored, StandardCharsets.UTF_8).split("\n")) {
            try {
                if (!line.isBlank()) {
                    relays.add(RelayLink.parse(line));
                }
            } catch (InvalidInviteLinkException e) {
                log.warn("ignoring a stored relay link that no longer parses");
            }
        }
        return relays;
    }

    /** Adds a relay someone shared; it must belong to this account's server. */
    void addRelay(RelayLink relay) throws ClientException {
        if (!relay.descriptor().getServerIdentityKey().equals(server.descriptor().getIdentityKey())) {
            throw new UserInputException("This relay forwards to another server, not to the one this account is on.");
        }
        List<String> links = new ArrayList<>(userRelays().stream().map(RelayLink::toString).toList());
        if (!links.contains(relay.toString())) {
            links.add(relay.toString());
        }
        db.setSetting(RELAYS, String.join("\n", links).getBytes(StandardCharsets.UTF_8));
    }

    boolean relaysOnly() {
        byte[] value = db.setting(RELAYS_ONLY);
        return value != null && value.length == 1 && value[0] == 1;
    }

    void setRelaysOnly(boolean relaysOnly) throws ClientException {
        if (relaysOnly && relays().isEmpty()) {
            throw new UserInputException("No relay is known for this server: add one with 'svyaz addRelay LINK' first.");
        }
        try {
            db.setSetting(RELAYS_ONLY, new byte[] {(byte) (relaysOnly ? 1 : 0)});
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Whether this user tells contacts what they read (on unless turned off), as Signal's setting. */
    boolean readReceipts() {
        return flag(READ_RECEIPTS);
    }

    void setReadReceipts(boolean on) throws ClientException {
        setFlag(READ_RECEIPTS, on);
    }

    /** Whether this user tells contacts when they type (on unless turned off). */
    boolean typingIndicators() {
        return flag(TYPING_INDICATORS);
    }

    void setTypingIndicators(boolean on) throws ClientException {
        setFlag(TYPING_INDICATORS, on);
    }

    /** Whether calls take only relayed routes (TURN), hiding this device's address from every contact; off by default. */
    boolean alwaysRelayCalls() {
        byte[] value = db.setting(ALWAYS_RELAY_CALLS);
        return value != null && value.length == 1 && value[0] != 0;
    }

    void setAlwaysRelayCalls(boolean on) throws ClientException {
        setFlag(ALWAYS_RELAY_CALLS, on);
    }

    private boolean flag(String name) {
        byte[] value = db.setting(name);
        return value == null || value.length != 1 || value[0] != 0;
    }

    private void setFlag(String name, boolean on) throws ClientException {
        try {
            db.setSetting(name, new byte[] {(byte) (on ? 1 : 0)});
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** The key ({@link Route#key()}) of the route that last won on the network the device is on now. */
    Optional<String> preferredRoute() {
        byte[] remembered = db.setting(ROUTE_PREFIX + NetworkIdentity.current());
        return remembered == null ? Optional.empty() : Optional.of(new String(remembered, StandardCharsets.UTF_8));
    }

    /** Prefers a route on the current network; a key that names none of this account's routes is refused. */
    void preferRoute(String routeKey) throws ClientException {
        if (Routes.of(server, relays()).stream().noneMatch(r -> r.key().equals(routeKey))) {
            throw new UserInputException("No route '" + routeKey + "' leads to this account's server.");
        }
        try {
            db.setSetting(ROUTE_PREFIX + NetworkIdentity.current(), routeKey.getBytes(StandardCharsets.UTF_8));
        } catch (LocalStoreException e) {
            throw new LocalFailureException(e.getMessage(), e);
        }
    }

    /** Remembers the route that just won, written only when it changed. */
    void rememberRoute(String routeKey) {
        byte[] key = routeKey.getBytes(StandardCharsets.UTF_8);
        String name = ROUTE_PREFIX + NetworkIdentity.current();
        if (!Arrays.equals(db.setting(name), key)) {
            db.setSetting(name, key);
        }
    }

    /** After how many bytes flows froze on the current network, when one did. */
    OptionalLong flowLimit() {
        byte[] stored = db.setting(FLOW_LIMIT_PREFIX + NetworkIdentity.current());
        return stored == null ? OptionalLong.empty()
                : OptionalLong.of(Long.parseLong(new String(stored, StandardCharsets.UTF_8)));
    }

    /** Remembers that a flow on the current network froze after {@code bytes}. */
    void rememberFlowLimit(long bytes) {
        db.setSetting(FLOW_LIMIT_PREFIX + NetworkIdentity.current(),
                Long.toString(bytes).getBytes(StandardCharsets.UTF_8));
    }

    Optional<byte[]> senderCertificate() {
        return Optional.ofNullable(db.setting(SENDER_CERTIFICATE));
    }

    void storeSenderCertificate(byte[] certificate) {
        db.setSetting(SENDER_CERTIFICATE, certificate);
    }

    /** After an identity reset: the cached certificate vouches for the old key, recipients would reject it. */
    void forgetSenderCertificate() {
        db.deleteSetting(SENDER_CERTIFICATE);
    }
}
