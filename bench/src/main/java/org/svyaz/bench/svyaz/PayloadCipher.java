// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import java.util.List;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;

/**
 * What {@link SvyazSystem} puts inside a message for a benchmark payload, and how it reads an
 * arriving envelope back into that payload. Registration, login, sending and acknowledging are the
 * same whatever the cipher; only the content of the envelopes differs.
 */
public sealed interface PayloadCipher permits OpaquePayloadCipher, SignalPayloadCipher {
    /** For the report: {@link org.svyaz.bench.relay.MessagingSystem#OPAQUE_PAYLOAD}, or how the payload is encrypted. */
    String mode();

    /** Whether registration must keep each user's private keys in memory for this cipher. */
    boolean needsKeys();

    /** Takes the registered users, in index order, before any of them logs in. */
    void usersCreated(List<BenchAccount> accounts);

    /**
     * What user {@code sender} sends to user {@code recipient} for {@code payload}; called on the
     * sender's thread.
     *
     * @throws BenchException when the payload could not be encrypted (the send then counts as refused)
     */
    Sealed seal(int sender, int recipient, byte[] payload) throws BenchException;

    /**
     * Reads {@code envelope}, which reached user {@code recipient}, and hands the outcome to
     * {@code inbox}, exactly once; called on an event loop thread.
     */
    void open(int recipient, Envelope envelope, Inbox inbox);

    /** What qualifies the run's numbers, for the report's notes; read after the run. */
    List<String> notes();

    /** A message's content and the envelope type that tells the recipient how to read it. */
    record Sealed(EnvelopeType type, byte[] content) {}
}
