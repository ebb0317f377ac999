// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.groups;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import com.google.protobuf.ByteString;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.GroupMember;
import org.svyaz.protocol.content.GroupState;

/**
 * Who may change a group, decided the same way by every member. There is no server-side group
 * state to ask, so each member checks every proposed state against the one it holds: admins may
 * change anything, other members may only leave, and a state is only ever replaced by a higher
 * revision. Members that apply the same changes end in the same state.
 */
public final class GroupRules {
    /** The largest group; the server's multi-recipient limit is set to carry it. */
    public static final int MAX_MEMBERS = 1000;
    public static final int MAX_TITLE_CHARS = 64;

    private GroupRules() {}

    /** Why a proposed state was refused, or empty when it is accepted. */
    public static Optional<String> refusal(Optional<GroupState> current, GroupState proposed, UUID sender) {
        Optional<String> malformed = malformed(proposed);
        if (malformed.isPresent()) {
            return malformed;
        }
        Map<UUID, GroupMember> next = members(proposed);
        if (current.isEmpty()) {
            // A group we did not know: we were just added or it was just made. Only an admin of the
            // new state can have made it so.
            GroupMember author = next.get(sender);
            return author != null && author.getAdmin() ? Optional.empty()
                    : Optional.of("a group arrived from someone who is not its admin");
        }
        GroupState now = current.get();
        if (!now.getId().equals(proposed.getId())) {
            return Optional.of("the change names another group");
        }
        if (proposed.getRevision() <= now.getRevision()) {
            return Optional.of("the change is not newer than the group as known here");
        }
        Map<UUID, GroupMember> before = members(now);
        GroupMember author = before.get(sender);
        if (author == null) {
            return Optional.of("the change comes from someone who is not a member");
        }
        if (author.getAdmin()) {
            return Optional.empty();
        }
        // A member who is not an admin may leave, and change nothing else.
        Map<UUID, GroupMember> withoutAuthor = new LinkedHashMap<>(before);
        withoutAuthor.remove(sender);
        boolean onlyLeft = now.getTitle().equals(proposed.getTitle()) && withoutAuthor.equals(next);
        return onlyLeft ? Optional.empty() : Optional.of("only admins may change the group");
    }

    /**
     * A member leaving, applied to the state held here rather than to the leaver's: the leaver may
     * not have seen the latest changes, and a leave must take effect anyway. Empty when
     * {@code proposed} is not the sender leaving a group it is in here.
     */
    public static Optional<GroupState> leave(GroupState current, GroupState proposed, UUID sender) {
        if (!current.getId().equals(proposed.getId()) || !isMember(current, sender) || isMember(proposed, sender)) {
            return Optional.empty();
        }
        GroupState.Builder next = current.toBuilder().setRevision(current.getRevision() + 1).clearMembers();
        for (GroupMember member : current.getMembersList()) {
            if (!Uuids.fromByteString(member.getAccountId()).equals(sender)) {
                next.addMembers(member);
            }
        }
        return Optional.of(next.build());
    }

    /** Structural checks any state must pass, whoever sends it. */
    public static Optional<String> malformed(GroupState state) {
        if (state.getId().size() != GroupId.LENGTH) {
            return Optional.of("the group id is not 32 bytes");
        }
        if (state.getMembersCount() > MAX_MEMBERS) {
            return Optional.of("the group has more than " + MAX_MEMBERS + " members");
        }
        if (state.getTitle().codePointCount(0, state.getTitle().length()) > MAX_TITLE_CHARS) {
            return Optional.of("the group title is longer than " + MAX_TITLE_CHARS + " characters");
        }
        Set<ByteString> seen = new HashSet<>();
        for (GroupMember member : state.getMembersList()) {
            if (member.getAccountId().size() != 16) {
                return Optional.of("a member's account id is not 16 bytes");
            }
            if (!seen.add(member.getAccountId())) {
                return Optional.of("a member appears twice");
            }
        }
        if (!state.getMembersList().isEmpty() && state.getMembersList().stream().noneMatch(GroupMember::getAdmin)) {
            return Optional.of("the group has members but no admin");
        }
        return Optional.empty();
    }

    /** Members by account id, in the state's order. */
    public static Map<UUID, GroupMember> members(GroupState state) {
        Map<UUID, GroupMember> members = new LinkedHashMap<>();
        for (GroupMember member : state.getMembersList()) {
            members.put(Uuids.fromByteString(member.getAccountId()), member);
        }
        return members;
    }

    /** Accounts in {@code before} that are not in {@code after}: they must not read what follows. */
    public static Set<UUID> removed(GroupState before, GroupState after) {
        Set<UUID> remaining = members(after).keySet();
        return members(before).keySet().stream().filter(id -> !remaining.contains(id))
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    public static boolean isAdmin(GroupState state, UUID account) {
        return find(state, account).map(GroupMember::getAdmin).orElse(false);
    }

    public static boolean isMember(GroupState state, UUID account) {
        return find(state, account).isPresent();
    }

    /** One scan of the member list, without building a map: asked for every group message received. */
    private static Optional<GroupMember> find(GroupState state, UUID account) {
        ByteString id = Uuids.toByteString(account);
        for (GroupMember member : state.getMembersList()) {
            if (member.getAccountId().equals(id)) {
                return Optional.of(member);
            }
        }
        return Optional.empty();
    }
}
