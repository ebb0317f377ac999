// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.cluster.RedisSettings;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.message.MessageLimits;
import org.svyaz.server.message.MultiRecipientPayload;
import org.svyaz.server.transport.TransportLimits;

/**
 * Everything a server needs to start, validated here once.
 *
 * @param advertised endpoints written into the invite link; empty means "derive from listen"
 * @param admin where Prometheus metrics are served (loopback only); empty disables it
 * @param sendBurst messages an account may send at once before the rate limit applies
 * @param sendsPerSecond sustained messages per second per account
 * @param mailboxExpiry undelivered messages older than this are deleted
 * @param storage where accounts, keys and mailboxes live: embedded (default) or a shared PostgreSQL
 * @param blobQuotaBytes bytes of attachments one account may upload per {@code blobExpiry}; see {@link #blobQuota()}
 * @param redis presence, wake-ups and rate limits shared with the other nodes of a cluster; empty for one node
 */
public record ServerConfig(
        Path dataDir,
        InetSocketAddress listen,
        List<Endpoint> advertised,
        Optional<InetSocketAddress> admin,
        RegistrationPolicy registration,
        TransportLimits transport,
        MessageLimits messages,
        int sendBurst,
        double sendsPerSecond,
        Duration mailboxExpiry,
        Duration shutdownGrace,
        Clock clock,
        long maxBlobBytes,
        Duration blobExpiry,
        long blobQuotaBytes,
        StorageSettings storage,
        Optional<RedisSettings> redis) {

    public static final int DEFAULT_PORT = 8443;
    public static final int DEFAULT_ADMIN_PORT = 9464;
    /** The default attachment quota, in attachments of the largest size: a few dozen videos a month. */
    public static final long BLOB_QUOTA_FILES = 40;
    /** The per-pair message limit refills at this fraction of the per-account send rate. */
    static final int PAIR_RATE_DIVISOR = 50;
    /** The per-account recipient budget is this many times the send burst. */
    static final int RECIPIENT_BURST_FACTOR = 10;
    /** A recipient's inbound bytes per hour: a full mailbox of messages of this size. */
    static final long INBOUND_BYTES_PER_ENTRY = 32 * 1024;

    public ServerConfig {
        if (dataDir == null || listen == null || registration == null || clock == null || storage == null
                || redis == null) {
            throw new IllegalArgumentException("dataDir, listen, registration, clock, storage and redis are required");
        }
        advertised = List.copyOf(advertised);
        admin.ifPresent(address -> {
            if (!address.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the admin (metrics) address must be a loopback address");
            }
        });
        if (sendBurst < 1 || sendsPerSecond <= 0) {
            throw new IllegalArgumentException("the send rate limit must allow at least one message");
        }
        if (blobExpiry == null || blobQuotaBytes < maxBlobBytes) {
            throw new IllegalArgumentException("the attachment quota must hold at least one attachment of the largest size");
        }
        if (transport.maxFrameBytes() < maxMultiRecipientFrameBytes(messages)) {
            throw new IllegalArgumentException("frames must be able to carry a message of the largest size, "
                    + "and a multi-recipient one of that size to the most recipients (one device each)");
        }
    }

    /**
     * The frame a multi-recipient send of the largest message to the most single-device recipients
     * needs: per recipient a service id, one device entry and key material; 4 KiB for the version,
     * the count, e_pub and the request's own framing. It exceeds what a single send of the largest
     * message needs, so checking it checks both.
     */
    public static long maxMultiRecipientFrameBytes(MessageLimits messages) {
        return (long) messages.maxMessageBytes()
                + (long) messages.maxMultiRecipients() * MultiRecipientPayload.BYTES_PER_SINGLE_DEVICE_RECIPIENT + 4096;
    }

    /**
     * Recipients an account may send to, counted per recipient (a message to a group of 1,000 costs
     * 1,000): {@value #RECIPIENT_BURST_FACTOR} times the send burst at once, then the send rate per
     * second. Derived from the send limit so that one setting tells how fast an account may send,
     * and raising it (as benchmarks do) raises this with it. Defaults: 2,000, then 50 a second.
     */
    public RateLimit recipientLimit() {
        return new RateLimit("recipients", (int) Math.min(Integer.MAX_VALUE, (long) RECIPIENT_BURST_FACTOR * sendBurst),
                sendsPerSecond);
    }

    /**
     * Messages per (sending account, recipient account), as Signal-Server limits them per pair: the
     * send burst at once, then 1/{@value #PAIR_RATE_DIVISOR} of the send rate (defaults: 200, then
     * one a second). One account cannot pour the whole of its send budget into one mailbox.
     */
    public RateLimit pairLimit() {
        return new RateLimit("pairs", sendBurst, sendsPerSecond / PAIR_RATE_DIVISOR);
    }

    /**
     * Bytes (counted in KiB, {@link RateLimit#permitsForBytes}) stored for one recipient account, from all senders, per hour: what a full mailbox of
     * {@value #INBOUND_BYTES_PER_ENTRY}-byte messages holds (default 10,000 entries: 320 MiB an
     * hour). Without it a full mailbox of the largest messages (2.5 GiB a device) fills in seconds.
     */
    public RateLimit inboundBytesLimit() {
        return RateLimit.ofBytes("inbound-kib", (long) messages.maxMailboxEntries() * INBOUND_BYTES_PER_ENTRY, 3600);
    }

    /**
     * Attachment bytes (counted in KiB) one account may upload: {@code blobQuotaBytes} at once, refilled over
     * {@code blobExpiry}. A blob lives {@code blobExpiry} after its upload, so what one account has
     * stored at any time is at most twice the quota (what it had plus what refilled since).
     */
    public RateLimit blobQuota() {
        return RateLimit.ofBytes("blob-kib", blobQuotaBytes, blobExpiry.toSeconds());
    }

    /** Sensible defaults for a data directory and a listening address. */
    public static ServerConfig defaults(Path dataDir, InetSocketAddress listen) {
        return new ServerConfig(dataDir, listen, List.of(),
                Optional.of(new InetSocketAddress("127.0.0.1", DEFAULT_ADMIN_PORT)),
                RegistrationPolicy.OPEN,
                new TransportLimits(1024 * 1024, Duration.ofMinutes(2)),
                new MessageLimits(256 * 1024, 10_000),
                200, 50.0, Duration.ofDays(30), Duration.ofSeconds(10), Clock.systemUTC(),
                100L * 1024 * 1024, Duration.ofDays(30), BLOB_QUOTA_FILES * 100L * 1024 * 1024, StorageSettings.EMBEDDED, Optional.empty());
    }

    public ServerConfig withRegistration(RegistrationPolicy policy) {
        return new ServerConfig(dataDir, listen, advertised, admin, policy, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    public ServerConfig withAdmin(Optional<InetSocketAddress> address) {
        return new ServerConfig(dataDir, listen, advertised, address, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    public ServerConfig withAdvertised(List<Endpoint> endpoints) {
        return new ServerConfig(dataDir, listen, endpoints, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    public ServerConfig withSendLimit(int burst, double perSecond) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, burst,
                perSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    public ServerConfig withLimits(TransportLimits transportLimits, MessageLimits messageLimits) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transportLimits, messageLimits,
                sendBurst, sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    /** Connections open at once, in all and from one address (see {@link TransportLimits#withConnections}). */
    public ServerConfig withConnectionLimits(int total, int perAddress) {
        return withLimits(transport.withConnections(total, perAddress), messages);
    }

    /** The mailbox cap and expiry; strangers may fill half of it ({@link MessageLimits#defaultStrangerShare}). */
    public ServerConfig withMailbox(int maxEntriesPerDevice, Duration expiry) {
        return withMailbox(maxEntriesPerDevice, MessageLimits.defaultStrangerShare(maxEntriesPerDevice), expiry);
    }

    /**
     * The mailbox cap, how many of its entries may come from strangers (sent without the
     * recipient's access key), and how long an undelivered message is kept.
     */
    public ServerConfig withMailbox(int maxEntriesPerDevice, int maxFromStrangersPerDevice, Duration expiry) {
        if (expiry.isNegative() || expiry.isZero()) {
            throw new IllegalArgumentException("the mailbox expiry must be positive");
        }
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport,
                new MessageLimits(messages.maxMessageBytes(), maxEntriesPerDevice, maxFromStrangersPerDevice,
                        messages.maxMultiRecipients(), messages.maxFanOutBytes()), sendBurst, sendsPerSecond, expiry,
                shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }

    /**
     * Attachments: the largest accepted, and how long one is kept. The upload quota becomes
     * {@value #BLOB_QUOTA_FILES} attachments of the largest size ({@link #withBlobQuota} after this changes it).
     */
    public ServerConfig withBlobs(long maxBytes, Duration expiry) {
        if (maxBytes < 1 || expiry.isNegative() || expiry.isZero()) {
            throw new IllegalArgumentException("the attachment limit and expiry must be positive");
        }
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBytes, expiry,
                maxBytes > Long.MAX_VALUE / BLOB_QUOTA_FILES ? Long.MAX_VALUE : BLOB_QUOTA_FILES * maxBytes,
                storage, redis);
    }

    /** The bytes one account may upload per blob expiry period; see {@link #blobQuota()}. */
    public ServerConfig withBlobQuota(long bytes) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, bytes, storage, redis);
    }

    /** Embedded SQLite, or the PostgreSQL database of a cluster. */
    public ServerConfig withStorage(StorageSettings newStorage) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, newStorage, redis);
    }

    /** Redis for a cluster node; empty for a single server. */
    public ServerConfig withRedis(Optional<RedisSettings> newRedis) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, clock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, newRedis);
    }

    public ServerConfig withClock(Clock newClock) {
        return new ServerConfig(dataDir, listen, advertised, admin, registration, transport, messages, sendBurst,
                sendsPerSecond, mailboxExpiry, shutdownGrace, newClock, maxBlobBytes, blobExpiry, blobQuotaBytes, storage, redis);
    }
}
