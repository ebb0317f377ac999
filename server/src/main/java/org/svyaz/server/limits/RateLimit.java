// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.limits;

/**
 * The size and refill of one kind of token bucket: {@code burst} actions at once, then
 * {@code perSecond}. {@code name} tells its buckets from other kinds' where they are shared (Redis).
 */
public record RateLimit(String name, int burst, double perSecond) {
    /**
     * Bundles with one-time prekeys per (requesting account, target account), as Signal-Server
     * limits bundle fetches: a first message, a new device or a reset identity needs one, so 6 is
     * plenty for a contact, while draining someone's 50-100 one-time prekeys takes hours instead
     * of a second. Beyond it bundles come without one-time keys ({@code KeyService.bundle}).
     */
    public static final RateLimit PREKEY_FETCHES = new RateLimit("prekeys", 6, 1.0 / 600);

    /**
     * Username lookups per account: 1,000 at once, then one every 10 seconds, so one account cannot
     * walk a dictionary of usernames (a nickname has up to a hundred two-digit variants) to map who
     * is on the server. Not lower: a client also looks up the username each new sender claims, and
     * an account that a thousand strangers write to at once (the app benchmark's alice) must not
     * be held back.
     */
    public static final RateLimit USERNAME_LOOKUPS = new RateLimit("usernames", 1000, 0.1);

    /**
     * Attachment uploads (PUTs, a resume included) per account: 1,000 at once, then one a second. A
     * file is one upload when its connection holds, or several when it breaks and resumes; the
     * quota on bytes ({@code ServerConfig.blobQuota}) is what bounds the disk. This bounds the
     * requests, each of which opens a file and may sync it.
     */
    public static final RateLimit BLOB_UPLOADS = new RateLimit("blob-uploads", 1000, 1);

    /** Limits on bytes count in KiB, so that a burst of terabytes still fits an int. */
    public static final int BYTES_PER_PERMIT = 1024;

    /** The permits {@code bytes} cost under a limit on bytes: KiB, rounded up. */
    public static long permitsForBytes(long bytes) {
        return (bytes + BYTES_PER_PERMIT - 1) / BYTES_PER_PERMIT;
    }

    /** A limit on bytes: {@code bytes} at once, refilled over {@code seconds}, counted in KiB. */
    public static RateLimit ofBytes(String name, long bytes, double seconds) {
        long kib = Math.max(1, Math.min(Integer.MAX_VALUE, bytes / BYTES_PER_PERMIT));
        return new RateLimit(name, (int) kib, kib / seconds);
    }

    public RateLimit {
        if (burst < 1 || perSecond <= 0) {
            throw new IllegalArgumentException("a rate limit needs burst >= 1 and a positive rate");
        }
    }
}
