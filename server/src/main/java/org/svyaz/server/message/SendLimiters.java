// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import org.svyaz.server.limits.RateLimiter;

/**
 * The rate limits on sending, each with its own key (see {@code ServerConfig} for the values).
 *
 * @param messages identified requests, per sending account
 * @param sealed sealed sends, per (connection, recipient): a sealed sender is not known to the server
 * @param recipients recipients, per sending account: a message to a group costs one per member
 * @param pairs messages, per (sending account, recipient account)
 * @param inboundBytes bytes stored, per recipient account, from every sender (sealed ones included)
 */
public record SendLimiters(RateLimiter messages, RateLimiter sealed, RateLimiter recipients, RateLimiter pairs,
                           RateLimiter inboundBytes) {}
