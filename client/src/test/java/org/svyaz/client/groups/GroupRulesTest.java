// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.groups;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.GroupMember;
import org.svyaz.protocol.content.GroupState;

class GroupRulesTest {
    private final UUID admin = UUID.randomUUID();
    private final UUID member = UUID.randomUUID();
    private final UUID stranger = UUID.randomUUID();
    private final GroupId id = GroupId.random();

    private GroupState state(int revision, String title, GroupMember... members) {
        return GroupState.newBuilder().setId(ByteString.copyFrom(id.bytes())).setRevision(revision).setTitle(title)
                .addAllMembers(java.util.List.of(members)).build();
    }

    private static GroupMember m(UUID account, boolean admin) {
        return GroupMember.newBuilder().setAccountId(Uuids.toByteString(account)).setUsername("u").setAdmin(admin).build();
    }

    private GroupState initial() {
        return state(0, "friends", m(admin, true), m(member, false));
    }

    @Test
    void aNewGroupIsTakenOnlyFromOneOfItsAdmins() {
        assertThat(GroupRules.refusal(Optional.empty(), initial(), admin)).isEmpty();
        assertThat(GroupRules.refusal(Optional.empty(), initial(), member)).isPresent();
        assertThat(GroupRules.refusal(Optional.empty(), initial(), stranger)).isPresent();
    }

    @Test
    void anAdminMayChangeAnything() {
        GroupState renamedAndGrown = state(1, "family", m(admin, true), m(member, true), m(stranger, false));
        assertThat(GroupRules.refusal(Optional.of(initial()), renamedAndGrown, admin)).isEmpty();
    }

    @Test
    void aMemberMayOnlyLeave() {
        GroupState left = state(1, "friends", m(admin, true));
        assertThat(GroupRules.refusal(Optional.of(initial()), left, member)).isEmpty();

        GroupState renamed = state(1, "mine now", m(admin, true), m(member, false));
        assertThat(GroupRules.refusal(Optional.of(initial()), renamed, member)).contains("only admins may change the group");

        GroupState promotedSelf = state(1, "friends", m(admin, true), m(member, true));
        assertThat(GroupRules.refusal(Optional.of(initial()), promotedSelf, member)).isPresent();

        GroupState removedAdmin = state(1, "friends", m(member, false));
        assertThat(GroupRules.refusal(Optional.of(initial()), removedAdmin, member)).isPresent();

        GroupState leftAndAddedFriend = state(1, "friends", m(admin, true), m(stranger, false));
        assertThat(GroupRules.refusal(Optional.of(initial()), leftAndAddedFriend, member)).isPresent();
    }

    @Test
    void nonMembersAndOldRevisionsAreRefused() {
        GroupState change = state(1, "x", m(admin, true), m(stranger, true));
        assertThat(GroupRules.refusal(Optional.of(initial()), change, stranger))
                .contains("the change comes from someone who is not a member");
        GroupState current = state(5, "friends", m(admin, true), m(member, false));
        assertThat(GroupRules.refusal(Optional.of(current), state(5, "other", m(admin, true)), admin)).isPresent();
        assertThat(GroupRules.refusal(Optional.of(current), state(4, "other", m(admin, true)), admin)).isPresent();
        assertThat(GroupRules.refusal(Optional.of(current), state(9, "other", m(admin, true)), admin)).isEmpty();
    }

    @Test
    void malformedStatesAreRefusedWhoeverSendsThem() {
        GroupState twice = state(0, "x", m(admin, true), m(admin, false));
        assertThat(GroupRules.refusal(Optional.empty(), twice, admin)).contains("a member appears twice");
        GroupState noAdmin = state(1, "x", m(member, false));
        assertThat(GroupRules.malformed(noAdmin)).contains("the group has members but no admin");
        GroupState badId = initial().toBuilder().setId(ByteString.copyFrom(new byte[5])).build();
        assertThat(GroupRules.refusal(Optional.empty(), badId, admin)).isPresent();
        GroupState longTitle = state(0, "x".repeat(GroupRules.MAX_TITLE_CHARS + 1), m(admin, true));
        assertThat(GroupRules.refusal(Optional.empty(), longTitle, admin)).isPresent();
        GroupState.Builder huge = state(0, "x", m(admin, true)).toBuilder();
        for (int i = 0; i < GroupRules.MAX_MEMBERS; i++) {
            huge.addMembers(m(UUID.randomUUID(), false));
        }
        assertThat(GroupRules.refusal(Optional.empty(), huge.build(), admin)).isPresent();
        GroupState otherGroup = state(1, "x", m(admin, true)).toBuilder()
                .setId(ByteString.copyFrom(GroupId.random().bytes())).build();
        assertThat(GroupRules.refusal(Optional.of(initial()), otherGroup, admin)).contains("the change names another group");
    }

    @Test
    void aLeaveBasedOnAnOlderStateStillRemovesTheLeaverAndNothingElse() {
        GroupState current = state(3, "renamed since", m(admin, true), m(member, true), m(stranger, false));
        GroupState leaversView = state(1, "friends", m(admin, true), m(member, false));
        assertThat(GroupRules.refusal(Optional.of(current), leaversView, stranger)).isPresent();
        GroupState staleLeave = state(1, "friends", m(admin, true), m(member, false));
        assertThat(GroupRules.leave(current, staleLeave, stranger)).hasValueSatisfying(next -> {
            assertThat(next.getRevision()).isEqualTo(4);
            assertThat(next.getTitle()).isEqualTo("renamed since");
            assertThat(GroupRules.members(next).keySet()).containsExactly(admin, member);
            assertThat(GroupRules.isAdmin(next, member)).isTrue();
        });
        assertThat(GroupRules.leave(current, current.toBuilder().setRevision(9).build(), stranger))
                .as("a state that still lists the sender is not a leave").isEmpty();
        assertThat(GroupRules.leave(initial(), staleLeave, stranger)).as("not a member here").isEmpty();
    }

    @Test
    void removedListsWhoLeft() {
        GroupState after = state(1, "friends", m(admin, true), m(stranger, false));
        assertThat(GroupRules.removed(initial(), after)).containsExactly(member);
    }

    @Test
    void groupIdsRoundTripAndGarbageIsRefused() {
        assertThat(GroupId.parse(id.toString())).isEqualTo(id);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GroupId.parse("not base64!"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a group id");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GroupId.parse("AAAA"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
