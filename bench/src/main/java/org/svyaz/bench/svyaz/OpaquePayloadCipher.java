// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import java.util.List;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;

/**
 * No encryption: the benchmark payload itself travels as the message's content, labelled
 * CIPHERTEXT like an ordinary Signal message, so the server files and pushes it as one. The server
 * never decrypts, so this measures its work alone, with the same bytes that go through the peers.
 */
public final class OpaquePayloadCipher implements PayloadCipher {
    @Override
    public String mode() {
        return MessagingSystem.OPAQUE_PAYLOAD;
    }

    @Override
    public boolean needsKeys() {
        return false;
    }

    @Override
    public void usersCreated(List<BenchAccount> accounts) {
        // Nothing to prepare: there are no keys.
    }

    @Override
    public Sealed seal(int sender, int recipient, byte[] payload) {
        return new Sealed(EnvelopeType.CIPHERTEXT, payload);
    }

    @Override
    public void open(int recipient, Envelope envelope, Inbox inbox) {
        inbox.arrived(envelope.getContent().toByteArray());
    }

    @Override
    public List<String> notes() {
        return List.of();
    }
}
