// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import com.google.protobuf.ByteString;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.StoreException;

/**
 * Hands out the operator's relays: each account (and each invite) gets {@link #PER_SUBJECT} of them,
 * chosen by a keyed hash of the account, with a token of its own that expires (see
 * {@link RelayToken}). A relay's secret never leaves the server, so listing every relay takes as
 * many accounts (or invites) as it takes draws to see them all, and a token found in a censor's
 * hands stops working and names the account it was issued to ({@link #tagOfAccount}).
 *
 * <p>The choice is rendezvous hashing: each relay scores {@code HMAC(key, subject || relay)} and
 * the highest scores win. An account keeps its relays when others are added or removed, and the
 * key (a file in the data directory, shared by a cluster's nodes) makes the choice unpredictable to
 * anyone who does not hold it.
 */
public final class RelayGrants {
    public static final String KEY_FILE = "relay-grants.key";
    /** Relays per account or invite: enough that one blocked relay leaves another. */
    public static final int PER_SUBJECT = 2;
    /**
     * How long a token works. Clients fetch a fresh one every day they connect; a month lets someone
     * who was offline for weeks (a trip, a confiscated phone) come back through the relays they had.
     */
    public static final Duration VALIDITY = Duration.ofDays(30);
    /** Accounts read at a time when looking for a token's owner. */
    private static final int OWNER_PAGE = 1000;

    private final SecretKeySpec key;
    private final Clock clock;
    private volatile List<RelayLink> relays = List.of();

    RelayGrants(byte[] key, Clock clock) {
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.clock = clock;
    }

    /** The grants of the server whose data directory is {@code dataDir}; makes the key on the first start. */
    public static RelayGrants open(Path dataDir, Clock clock) throws IOException {
        Path file = dataDir.resolve(KEY_FILE);
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            // Written under a name of its own, then moved: two cluster nodes starting together must
            // end up with one key, not each with its own.
            Path temporary = Files.createTempFile(dataDir, KEY_FILE + ".", ".tmp");
            try {
                PrivateKeyFiles.write(temporary, Base64.getEncoder().encodeToString(key));
                try {
                    Files.createLink(file, temporary);
                } catch (FileAlreadyExistsException e) {
                    // Another node made it first: use that one.
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        try {
            byte[] key = Base64.getDecoder().decode(Files.readString(file).strip());
            if (key.length != 32) {
                throw new IOException(file + " does not hold a 32-byte key");
            }
            return new RelayGrants(key, clock);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** The relays to hand out from now on: the operator's links, each with the relay's secret. */
    public void useRelays(List<RelayLink> relays) {
        for (RelayLink relay : relays) {
            if (relay.granted()) {
                throw new IllegalArgumentException("a relay is handed out from its own link, not from a grant");
            }
        }
        this.relays = List.copyOf(relays);
    }

    /** The relays {@code accountId} may use, with tokens of its own; empty when the operator named none. */
    public List<RelayLink> forAccount(UUID accountId) {
        return grant("account:" + accountId);
    }

    /**
     * The relays an invite carries, with tokens that name the invite. The subject is the code's
     * stored hash, so the operator can tell a found token's invite ({@link #ownerOf}).
     */
    public List<RelayLink> forInvite(String code) {
        return grant(inviteSubject(InviteCodes.hash(code)));
    }

    private static String inviteSubject(byte[] codeHash) {
        return "invite:" + HexFormat.of().formatHex(codeHash);
    }

    /**
     * The invite link for {@code code} on the server whose data directory is {@code dataDir}: the
     * server's published link plus {@link #PER_SUBJECT} of its relays with tokens for this invite.
     * Read from the directory, so {@code svyaz server invite} can make it beside a running server.
     */
    public static InviteLink invite(Path dataDir, String code, Clock clock) throws IOException {
        InviteLink published;
        try {
            published = InviteLink.parse(Files.readString(dataDir.resolve(DescriptorPublisher.INVITE_FILE)));
        } catch (InvalidInviteLinkException e) {
            throw new IOException(DescriptorPublisher.INVITE_FILE + " is damaged: " + e.getMessage(), e);
        }
        RelayGrants grants = open(dataDir, clock);
        grants.useRelays(DescriptorSettings.load(dataDir).relayLinks());
        return new InviteLink(published.signed(), published.descriptor(), Optional.of(code), grants.forInvite(code));
    }

    /** The tag inside the tokens issued to {@code accountId}, to tell whose token a found one is. */
    public byte[] tagOfAccount(UUID accountId) {
        return tag("account:" + accountId);
    }

    /** The tag inside the tokens an invite with {@code code} carries. */
    public byte[] tagOfInvite(String code) {
        return tag(inviteSubject(InviteCodes.hash(code)));
    }

    /** Whom a granted token was issued to, as the operator's tools find it. */
    public sealed interface Owner {
        record OfAccount(UUID accountId) implements Owner {}

        /** An invite still unused, valid until {@code expiresAtMillis}. */
        record OfInvite(long expiresAtMillis) implements Owner {}
    }

    /**
     * The account, or the open invite, that the tokens with {@code tag} were issued to; empty when
     * none is (the invite was used or expired, the account deleted, or the token is another
     * server's). Goes through every account, a page at a time.
     */
    public Optional<Owner> ownerOf(byte[] tag, AccountStore accounts) throws StoreException {
        Optional<UUID> after = Optional.empty();
        for (List<UUID> page; !(page = accounts.accountIds(after, OWNER_PAGE)).isEmpty(); after = Optional.of(page.getLast())) {
            for (UUID account : page) {
                if (MessageDigest.isEqual(tagOfAccount(account), tag)) {
                    return Optional.of(new Owner.OfAccount(account));
                }
            }
        }
        for (Map.Entry<ByteBuffer, Long> invite : accounts.openInviteCodes(clock.millis()).entrySet()) {
            byte[] codeHash = new byte[invite.getKey().remaining()];
            invite.getKey().duplicate().get(codeHash);
            if (MessageDigest.isEqual(tag(inviteSubject(codeHash)), tag)) {
                return Optional.of(new Owner.OfInvite(invite.getValue()));
            }
        }
        return Optional.empty();
    }

    private List<RelayLink> grant(String subject) {
        long expiresAt = clock.instant().plus(VALIDITY).getEpochSecond();
        byte[] tag = tag(subject);
        return relays.stream()
                .sorted(Comparator.comparing((RelayLink relay) -> score(subject, relay), Arrays::compareUnsigned)
                        .reversed())
                .limit(PER_SUBJECT)
                .map(relay -> new RelayLink(relay.descriptor().toBuilder()
                        .clearSecret()
                        .setToken(ByteString.copyFrom(new RelayToken(relay.descriptor().getSecret().toByteArray())
                                .grant(tag, expiresAt)))
                        .build()))
                .toList();
    }

    private byte[] score(String subject, RelayLink relay) {
        return hmac("choose", subject + "\n" + relay.descriptor().getHost() + ":" + relay.descriptor().getPort() + "\n"
                + Base64.getEncoder().encodeToString(relay.descriptor().getTlsKeyPin().toByteArray()));
    }

    private byte[] tag(String subject) {
        return Arrays.copyOf(hmac("tag", subject), RelayToken.TAG_BYTES);
    }

    private byte[] hmac(String purpose, String input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(purpose.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            return mac.doFinal(input.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }
}
