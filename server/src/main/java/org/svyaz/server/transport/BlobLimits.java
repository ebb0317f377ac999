// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import org.svyaz.server.limits.RateLimiter;

/**
 * What one account may upload.
 *
 * @param maxBytes the largest attachment accepted
 * @param uploads upload requests (PUTs, resumes included), per account
 * @param quota attachment bytes, counted in KiB ({@code RateLimit.permitsForBytes}), per account
 * @param quotaBytes the quota's size, for the refusal's sentence
 */
public record BlobLimits(long maxBytes, RateLimiter uploads, RateLimiter quota, long quotaBytes) {}
