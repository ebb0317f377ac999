// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * Raised by {@link FrameCodec} through the pipeline's {@code exceptionCaught} after it has sent the
 * close frame for the {@link #violation()} and started closing the connection. A handler that
 * receives it must not close the connection itself: closing at once could discard the close frame
 * still waiting to be written, and the peer would never learn why.
 */
public final class FrameViolationException extends CorruptedFrameException {
    private final FrameViolation violation;

    FrameViolationException(FrameViolation violation, Throwable cause) {
        super(violation.reason(), cause);
        this.violation = violation;
    }

    public FrameViolation violation() {
        return violation;
    }
}
