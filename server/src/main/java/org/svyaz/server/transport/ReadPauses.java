// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Why a connection is not being read now. Several handlers stop reading for reasons of their own
 * (answers the peer does not take, requests in flight, an upload the disk has not caught up with);
 * each lifts only its own, and the connection is read again when none is left. Toggling
 * {@code autoRead} directly, one handler would resume reading that another had paused.
 *
 * <p>Used on the connection's event loop only.
 */
final class ReadPauses {
    enum Reason {
        /** Answers wait to be sent: the peer does not read them (Netty's writability). */
        UNWRITABLE,
        /** The upgrade's credentials are being checked. */
        AUTHENTICATING,
        /** The connection has as many requests being handled as it may. */
        REQUESTS_IN_FLIGHT,
        /** An upload's bytes wait for the disk, or its credentials for the store. */
        UPLOAD,
        /** Blob requests wait until the one being answered is out. */
        BLOB_QUEUE
    }

    private static final AttributeKey<ReadPauses> KEY = AttributeKey.valueOf("svyaz.read-pauses");

    private final Channel channel;
    private int reasons;

    private ReadPauses(Channel channel) {
        this.channel = channel;
    }

    static ReadPauses of(Channel channel) {
        ReadPauses pauses = channel.attr(KEY).get();
        if (pauses == null) {
            pauses = new ReadPauses(channel);
            channel.attr(KEY).set(pauses);
        }
        return pauses;
    }

    void pause(Reason reason) {
        set(reason, true);
    }

    void resume(Reason reason) {
        set(reason, false);
    }

    void set(Reason reason, boolean paused) {
        int bit = 1 << reason.ordinal();
        reasons = paused ? reasons | bit : reasons & ~bit;
        boolean read = reasons == 0;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    boolean isPaused(Reason reason) {
        return (reasons & 1 << reason.ordinal()) != 0;
    }
}
