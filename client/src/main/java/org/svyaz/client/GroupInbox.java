// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.groups.GroupRules;
import org.svyaz.client.store.GroupStore;
import org.svyaz.client.store.GroupStore.StoredGroup;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.content.GroupContext;
import org.svyaz.protocol.content.GroupState;

/**
 * The receiving side of groups: takes members' sender keys, checks every received group message
 * against the group as known here ({@link GroupRules}) and applies the changes it carries. Runs
 * inside the transaction that stores the message, so a change and its message land together.
 */
final class GroupInbox {
    private static final Logger log = LoggerFactory.getLogger(GroupInbox.class);

    private final GroupStore groups;
    private final SqliteSignalStore store;
    private final UUID self;

    GroupInbox(GroupStore groups, SqliteSignalStore store, UUID self) {
        this.groups = groups;
        this.store = store;
        this.self = self;
    }

    /** Takes a new state as ours; after anyone left, our next messages use a new sender key. */
    void apply(StoredGroup group, GroupState next) {
        boolean member = GroupRules.isMember(next, self);
        boolean someoneLeft = !GroupRules.removed(group.state(), next).isEmpty();
        UUID distribution = someoneLeft || !member ? UUID.randomUUID() : group.distributionId();
        if (!distribution.equals(group.distributionId())) {
            groups.forgetHolders(next.getId().toByteArray());
        }
        groups.put(new StoredGroup(next, distribution, member));
    }

    /** Takes a member's sender key; called inside the transaction that stores the message carrying it. */
    void processSenderKey(UUID sender, int senderDevice, byte[] distribution) {
        try {
            new GroupSessionBuilder(store).process(new SignalProtocolAddress(sender.toString(), senderDevice),
                    new SenderKeyDistributionMessage(distribution));
        } catch (InvalidMessageException | LegacyMessageException | InvalidVersionException
                 | InvalidKeyException e) {
            log.warn("a sender key arrived that cannot be read; ignoring it");
        }
    }

    /** What a received group message does here. */
    sealed interface Verdict {
        /** Show it, as part of the group. */
        record Accepted(boolean update) implements Verdict {}

        /** Drop it; {@code reason} is a sentence without identities, for the log. */
        record Refused(String reason) implements Verdict {}
    }

    /**
     * Checks a received group message against the group as known here and applies a change it
     * carries; called inside the transaction that stores the message.
     */
    Verdict accept(UUID sender, GroupContext context) {
        Optional<GroupId> id = GroupId.fromBytes(context.getId().toByteArray());
        if (id.isEmpty()) {
            return new Verdict.Refused("a group message names no valid group");
        }
        Optional<StoredGroup> known = groups.group(id.get().bytes());
        if (context.hasState()) {
            if (known.isPresent() && known.get().state().equals(context.getState())) {
                return new Verdict.Refused("a group change that is already applied");
            }
            Optional<String> refusal = GroupRules.refusal(known.map(StoredGroup::state), context.getState(), sender);
            if (refusal.isPresent()) {
                Optional<GroupState> left = known.flatMap(k -> GroupRules.leave(k.state(), context.getState(), sender));
                if (left.isEmpty()) {
                    return new Verdict.Refused(refusal.get());
                }
                apply(known.get(), left.get());
                return new Verdict.Accepted(true);
            }
            if (known.isEmpty()) {
                groups.put(new StoredGroup(context.getState(), UUID.randomUUID(),
                        GroupRules.isMember(context.getState(), self)));
            } else {
                apply(known.get(), context.getState());
            }
            return new Verdict.Accepted(true);
        }
        if (known.isEmpty()) {
            return new Verdict.Refused("a message for a group this account does not know");
        }
        if (!known.get().member()) {
            return new Verdict.Refused("a message for a group this account is no longer in");
        }
        if (!GroupRules.isMember(known.get().state(), sender)) {
            return new Verdict.Refused("a group message from someone who is not a member");
        }
        return new Verdict.Accepted(false);
    }
}
