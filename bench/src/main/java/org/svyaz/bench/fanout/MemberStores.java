// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.util.List;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.accounts.BenchKeys;

/**
 * Every member's receiving side of the group, in memory: libsignal's store with the identity key
 * the member registered with, and the senders' sender keys. It opens copies the way the client
 * does ({@code SealedSessionCipher.decrypt}), which is how the run checks after the fact that a
 * copy was really meant for the member that got it. Each member's store may be used by one thread
 * at a time.
 */
final class MemberStores {
    private final List<BenchAccount> members;
    private final InMemorySignalProtocolStore[] stores;

    MemberStores(List<BenchAccount> members) {
        this.members = List.copyOf(members);
        this.stores = new InMemorySignalProtocolStore[members.size()];
        for (int i = 0; i < stores.length; i++) {
            BenchKeys keys = members.get(i).keys().orElseThrow(() -> new IllegalArgumentException(
                    "a group member needs the keys it registered with (register with keepKeys)"));
            stores[i] = new InMemorySignalProtocolStore(keys.identity(), members.get(i).registrationId());
        }
    }

    /**
     * Every member but the sender takes the sender's sender key. A client gets it in a pairwise
     * message before the first group message; here it is handed over in memory, since setting the
     * group up is not what the run measures.
     */
    void takeSenderKey(GroupSender sender) {
        for (int i = 0; i < stores.length; i++) {
            if (i != sender.account().index()) {
                new GroupSessionBuilder(stores[i]).process(sender.address(), sender.distribution());
            }
        }
    }

    /** Opens a copy that reached {@code member}, as its client would; throws when it is not readable there. */
    SealedSessionCipher.DecryptionResult open(int member, byte[] copy, CertificateValidator validator)
            throws Exception {
        BenchAccount account = members.get(member);
        return new SealedSessionCipher(stores[member], account.accountId(), null, account.credentials().deviceId())
                .decrypt(validator, copy, System.currentTimeMillis());
    }
}
