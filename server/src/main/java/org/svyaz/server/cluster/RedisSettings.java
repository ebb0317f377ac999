// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.util.List;
import java.util.Objects;

/**
 * How the nodes of a cluster reach Redis, validated when made.
 *
 * @param uris    {@code redis://HOST:PORT} (or {@code rediss://}); one for a standalone Redis, one or
 *                more seed nodes for a Redis Cluster
 * @param cluster whether {@code uris} name nodes of a Redis Cluster
 * @param prefix  put before every key and channel, so several clusters can share one Redis; every node
 *                of one cluster must use the same
 */
public record RedisSettings(List<String> uris, boolean cluster, String prefix) {
    public static final String DEFAULT_PREFIX = "svyaz:";

    public RedisSettings {
        uris = List.copyOf(uris);
        Objects.requireNonNull(prefix, "prefix");
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("Redis needs at least one address (redis://HOST:PORT)");
        }
        for (String uri : uris) {
            if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
                throw new IllegalArgumentException("a Redis address looks like redis://HOST:PORT, not '" + uri + "'");
            }
        }
        if (!cluster && uris.size() != 1) {
            throw new IllegalArgumentException("a standalone Redis has one address; list several only for a Redis Cluster");
        }
    }

    /** URIs may carry a password (redis://:secret@host): log this, never the URIs. */
    @Override
    public String toString() {
        return "RedisSettings[" + uris.size() + " address(es), cluster " + cluster + "]";
    }
}
