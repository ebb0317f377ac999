// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The YAML file {@code svyaz server --config FILE} reads. Every key is optional, and a key that is
 * absent is null here, so that the next layer (the defaults) shows through; keys are the long option
 * names without dashes in front. An unknown key or a value of the wrong type is an error.
 *
 * <pre>
 * data: /srv/svyaz/data            # shared by every node of a cluster
 * listen: 0.0.0.0:8443
 * admin: 127.0.0.1:9464            # or off
 * advertise: [chat.example.org:443]
 * registration: open               # or invite
 * storage: postgres                # or embedded (the default)
 * postgres:
 *   url: jdbc:postgresql://127.0.0.1:5432/svyaz
 *   user: svyaz
 *   password: ""
 *   pool-size: 10
 * redis:
 *   url: redis://127.0.0.1:6379    # or a list of seed nodes with cluster: true
 *   cluster: false
 *   prefix: "svyaz:"
 * </pre>
 */
record ServerFile(
        String data,
        String listen,
        String admin,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> advertise,
        String registration,
        @JsonProperty("send-burst") Integer sendBurst,
        @JsonProperty("sends-per-second") Double sendsPerSecond,
        @JsonProperty("mailbox-max") Integer mailboxMax,
        @JsonProperty("mailbox-strangers-max") Integer mailboxStrangersMax,
        @JsonProperty("mailbox-expiry-days") Integer mailboxExpiryDays,
        @JsonProperty("max-attachment-mb") Long maxAttachmentMb,
        @JsonProperty("attachment-expiry-days") Integer attachmentExpiryDays,
        @JsonProperty("max-connections") Integer maxConnections,
        @JsonProperty("max-connections-per-address") Integer maxConnectionsPerAddress,
        String storage,
        Postgres postgres,
        Redis redis) {

    static final ServerFile EMPTY = new ServerFile(null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null);

    /** The {@code postgres:} section. */
    record Postgres(String url, String user, String password, @JsonProperty("pool-size") Integer poolSize) {}

    /** The {@code redis:} section; {@code url} is one address or a list (the seed nodes of a Redis Cluster). */
    record Redis(@JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> url,
                 Boolean cluster, String prefix) {}
}
