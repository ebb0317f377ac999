// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import com.google.protobuf.ByteString;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.protocol.UnidentifiedSenderMessageContent;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidRegistrationIdException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.GroupAccessException;
import org.svyaz.client.api.GroupDetails;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.SendResult;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UntrustedIdentityError;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.groups.GroupRules;
import org.svyaz.client.store.GroupStore;
import org.svyaz.client.store.GroupStore.StoredGroup;
import org.svyaz.client.store.LocalMessages;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.client.store.TrustLevel;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.content.Content;
import org.svyaz.protocol.content.DataMessage;
import org.svyaz.protocol.content.EditMessage;
import org.svyaz.protocol.content.GroupContext;
import org.svyaz.protocol.content.GroupMember;
import org.svyaz.protocol.content.GroupState;
import org.svyaz.protocol.content.TypingMessage;
import org.svyaz.protocol.wire.AccountStaleDevices;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.MultiRecipientStaleDevices;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.UnknownRecipients;

/**
 * Groups: their end-to-end encrypted state, and messages to them. A member encrypts a group
 * message once with its sender key (libsignal {@code GroupCipher}) and seals it for every member
 * device in one multi-recipient request; the server fans it out and learns only the recipients of
 * that request. The group's state (title, members, admins) travels inside such messages and every
 * member checks changes with {@link GroupRules}; the server holds no group state.
 *
 * <p>A member's sender key reaches each member device once, in a pairwise message, before the
 * first group message that needs it. When anyone leaves or is removed, every remaining member
 * starts a new sender key, so the removed member cannot read later messages.
 */
final class GroupMessaging {
    private static final Logger log = LoggerFactory.getLogger(GroupMessaging.class);
    private static final int SEND_ATTEMPTS = 4;

    private final Connections connections;
    private final MessageSender sender;
    private final ContactDirectory contacts;
    private final GroupInbox inbox;
    private final GroupStore groups;
    private final SqliteSignalStore store;
    private final LocalMessages messages;
    private final Clock clock;
    private final UUID self;
    private final SignalProtocolAddress selfAddress;
    private final int selfDevice;

    GroupMessaging(Connections connections, MessageSender sender, ContactDirectory contacts, GroupInbox inbox,
                   GroupStore groups, SqliteSignalStore store, LocalMessages messages, Clock clock, UUID self,
                   int selfDevice) {
        this.connections = connections;
        this.sender = sender;
        this.contacts = contacts;
        this.inbox = inbox;
        this.groups = groups;
        this.store = store;
        this.messages = messages;
        this.clock = clock;
        this.self = self;
        this.selfDevice = selfDevice;
        this.selfAddress = new SignalProtocolAddress(self.toString(), selfDevice);
    }

    // ---------------------------------------------------------------- changing groups

    /** What an admin changes; usernames name the members. */
    record Change(Optional<String> title, List<String> add, List<String> remove, List<String> admins,
                  List<String> revokeAdmins) {}

    GroupId create(String title, List<String> memberUsernames, String selfUsername) throws ClientException {
        String checkedTitle = checkTitle(title);
        Map<UUID, GroupMember> members = new LinkedHashMap<>();
        members.put(self, member(self, selfUsername, true));
        for (String username : memberUsernames) {
            UUID account = contacts.resolve(username);
            if (!account.equals(self)) {
                members.putIfAbsent(account, member(account, username, false));
            }
        }
        checkSize(members.size());
        GroupId id = GroupId.random();
        GroupState state = GroupState.newBuilder()
                .setId(ByteString.copyFrom(id.bytes()))
                .setRevision(0)
                .setTitle(checkedTitle)
                .addAllMembers(members.values())
                .build();
        StoredGroup group = new StoredGroup(state, UUID.randomUUID(), true);
        // Stored only once the members have it: a failed send leaves no half-made group here.
        sendUpdate(group, state);
        groups.put(group);
        return id;
    }

    void update(GroupId id, Change change) throws ClientException {
        StoredGroup group = requireMember(id);
        if (!GroupRules.isAdmin(group.state(), self)) {
            throw new GroupAccessException("Only the group's admins may change it; you are a member.");
        }
        Map<UUID, GroupMember> members = GroupRules.members(group.state());
        for (String username : change.add()) {
            UUID account = contacts.resolve(username);
            members.putIfAbsent(account, member(account, username, false));
        }
        for (String username : change.remove()) {
            UUID account = contacts.resolve(username);
            if (account.equals(self)) {
                throw new UserInputException("To leave the group use quitGroup, not --remove-member.");
            }
            if (members.remove(account) == null) {
                throw new UserInputException(username + " is not a member of this group.");
            }
        }
        for (String username : change.admins()) {
            setAdmin(members, contacts.resolve(username), username, true);
        }
        for (String username : change.revokeAdmins()) {
            setAdmin(members, contacts.resolve(username), username, false);
        }
        checkSize(members.size());
        GroupState next = group.state().toBuilder()
                .setRevision(group.state().getRevision() + 1)
                .setTitle(change.title().isPresent() ? checkTitle(change.title().get()) : group.state().getTitle())
                .clearMembers()
                .addAllMembers(members.values())
                .build();
        if (next.getMembersList().stream().noneMatch(GroupMember::getAdmin)) {
            throw new UserInputException("A group needs at least one admin.");
        }
        sendUpdate(group, next);
        inbox.apply(group, next);
    }

    void quit(GroupId id) throws ClientException {
        StoredGroup group = requireMember(id);
        Map<UUID, GroupMember> members = GroupRules.members(group.state());
        members.remove(self);
        if (GroupRules.isAdmin(group.state(), self) && !members.isEmpty()
                && members.values().stream().noneMatch(GroupMember::getAdmin)) {
            throw new UserInputException("You are the group's only admin: make another member admin first "
                    + "(updateGroup -g " + id + " --admin USERNAME).");
        }
        GroupState next = group.state().toBuilder()
                .setRevision(group.state().getRevision() + 1)
                .clearMembers()
                .addAllMembers(members.values())
                .build();
        sendUpdate(group, next);
        inbox.apply(group, next);
    }

    List<GroupDetails> list() {
        List<GroupDetails> result = new ArrayList<>();
        for (StoredGroup group : groups.all()) {
            List<GroupDetails.Member> members = new ArrayList<>();
            for (GroupMember member : group.state().getMembersList()) {
                members.add(new GroupDetails.Member(Uuids.fromByteString(member.getAccountId()), member.getUsername(),
                        member.getAdmin()));
            }
            result.add(new GroupDetails(GroupId.fromBytes(group.state().getId().toByteArray()).orElseThrow().toString(),
                    group.state().getTitle(), group.state().getRevision(), members, group.member(),
                    group.member() && GroupRules.isAdmin(group.state(), self)));
        }
        return result;
    }

    private void setAdmin(Map<UUID, GroupMember> members, UUID account, String username, boolean admin)
            throws UserInputException {
        GroupMember member = members.get(account);
        if (member == null) {
            throw new UserInputException(username + " is not a member of this group; add them first.");
        }
        members.put(account, member.toBuilder().setAdmin(admin).build());
    }

    private static GroupMember member(UUID account, String username, boolean admin) {
        return GroupMember.newBuilder().setAccountId(Uuids.toByteString(account)).setUsername(username)
                .setAdmin(admin).build();
    }

    private static String checkTitle(String title) throws UserInputException {
        String stripped = title == null ? "" : title.strip();
        if (stripped.isEmpty()) {
            throw new UserInputException("A group needs a name (-n NAME).");
        }
        if (stripped.codePointCount(0, stripped.length()) > GroupRules.MAX_TITLE_CHARS) {
            throw new UserInputException("A group name may have at most " + GroupRules.MAX_TITLE_CHARS + " characters.");
        }
        return stripped;
    }

    private static void checkSize(int members) throws UserInputException {
        if (members > GroupRules.MAX_MEMBERS) {
            throw new UserInputException("A group may have at most " + GroupRules.MAX_MEMBERS + " members.");
        }
    }

    private StoredGroup requireMember(GroupId id) throws GroupAccessException {
        StoredGroup group = groups.group(id.bytes()).orElseThrow(() -> new GroupAccessException(
                "No group with the id " + id + " is known to this account (see listGroups)."));
        if (!group.member()) {
            throw new GroupAccessException("You are no longer a member of the group " + id + ".");
        }
        return group;
    }

    /** Sends the new state to everyone in the old or the new state, so the removed learn it too. */
    private void sendUpdate(StoredGroup group, GroupState next) throws ClientException {
        Map<UUID, GroupMember> recipients = GroupRules.members(group.state());
        recipients.putAll(GroupRules.members(next));
        DataMessage data = DataMessage.newBuilder()
                .setTimestamp(clock.millis())
                .setGroup(GroupContext.newBuilder().setId(next.getId()).setRevision(next.getRevision()).setState(next))
                .build();
        fanOut(group, recipients, data);
    }

    // ---------------------------------------------------------------- sending

    /** The group's members but this account: whom a message sent to it now goes to. */
    Set<UUID> otherMembers(GroupId id) throws GroupAccessException {
        Set<UUID> members = new HashSet<>(GroupRules.members(requireMember(id).state()).keySet());
        members.remove(self);
        return members;
    }

    /** Sends {@code data} (body, files) to the group; the group context is added here. */
    SendResult send(GroupId id, DataMessage.Builder data) throws ClientException {
        StoredGroup group = requireMember(id);
        data.setGroup(GroupContext.newBuilder().setId(group.state().getId()).setRevision(group.state().getRevision()));
        return fanOut(group, GroupRules.members(group.state()), data.build());
    }

    /**
     * Sends a new text for this account's group message sent at {@code targetTimestamp}: an edit
     * whose message carries the group context, as Signal's edits in groups do.
     */
    SendResult sendEdit(GroupId id, long targetTimestamp, DataMessage.Builder data) throws ClientException {
        StoredGroup group = requireMember(id);
        data.setGroup(GroupContext.newBuilder().setId(group.state().getId()).setRevision(group.state().getRevision()));
        Content content = sender.contentFromHere().setEditMessage(EditMessage.newBuilder()
                .setTargetSentTimestamp(targetTimestamp).setDataMessage(data)).build();
        return fanOut(group, GroupRules.members(group.state()), data.getTimestamp(), content);
    }

    /**
     * Tells the group's members that this user started (or, with {@code stop}, stopped) typing in
     * it: a typing notice naming the group, sent with the sender key as Signal sends it.
     */
    SendResult sendTyping(GroupId id, boolean stop) throws ClientException {
        StoredGroup group = requireMember(id);
        long timestamp = clock.millis();
        Content content = sender.contentFromHere().setTypingMessage(TypingMessage.newBuilder()
                .setTimestamp(timestamp)
                .setAction(stop ? TypingMessage.Action.STOPPED : TypingMessage.Action.STARTED)
                .setGroupId(group.state().getId())).build();
        return fanOut(group, GroupRules.members(group.state()), timestamp, content);
    }

    private record Target(UUID account, String username) {
        String name() {
            return account.toString();
        }
    }

    /**
     * Encrypts {@code data} once with our sender key and hands it to the server in one request for
     * every device of every recipient but us.
     */
    private SendResult fanOut(StoredGroup group, Map<UUID, GroupMember> recipients, DataMessage data)
            throws ClientException {
        return fanOut(group, recipients, data.getTimestamp(), sender.contentFromHere().setDataMessage(data).build());
    }

    /** As {@link #fanOut(StoredGroup, Map, DataMessage)}, for any content sent under {@code timestamp}. */
    private SendResult fanOut(StoredGroup group, Map<UUID, GroupMember> recipients, long timestamp, Content content)
            throws ClientException {
        return SendRetry.untilSent(() -> fanOutOnce(group, recipients, timestamp, content));
    }

    private SendResult fanOutOnce(StoredGroup group, Map<UUID, GroupMember> recipients, long timestamp,
                                  Content content) throws ClientException {
        List<Target> targets = new ArrayList<>();
        for (GroupMember member : recipients.values()) {
            UUID account = Uuids.fromByteString(member.getAccountId());
            if (!account.equals(self)) {
                targets.add(new Target(account, member.getUsername()));
            }
        }
        if (targets.isEmpty()) {
            return new SendResult(timestamp, true, "none (no other members)");
        }
        byte[] groupId = group.state().getId().toByteArray();
        byte[] plaintext = MessageSender.pad(content);
        for (int attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
            // Each member's devices, read once per attempt: for 1,000 members every read counts.
            Map<Target, List<Integer>> devices = withSessions(targets);
            targets = List.copyOf(devices.keySet());
            if (targets.isEmpty()) {
                return new SendResult(timestamp, true, "none (no member can receive)");
            }
            distributeSenderKey(groupId, group.distributionId(), devices);
            byte[] payload = seal(groupId, group.distributionId(), devices, plaintext);
            MultiRecipientSendRequest.Builder request = MultiRecipientSendRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(payload))
                    .setTimestamp(timestamp);
            Optional<byte[]> combined = combinedAccessKey(targets);
            Response response = null;
            boolean sealed = false;
            if (combined.isPresent()) {
                response = connections.callAnonymously(ApiPaths.MESSAGES_SEND_MULTI_SEALED,
                        request.setCombinedAccessKey(ByteString.copyFrom(combined.get())).build());
                sealed = response.getError() != ErrorCode.UNAUTHORIZED;
                request.clearCombinedAccessKey();
            }
            if (!sealed) {
                // Without every member's access key the server needs to know who sends; the
                // content stays sealed, so the envelopes still name no sender.
                response = connections.call(ApiPaths.MESSAGES_SEND_MULTI, request.build());
            }
            switch (response.getError()) {
                case OK -> {
                    return new SendResult(timestamp, sealed, sender.routeOfLastSend(sealed));
                }
                case STALE_DEVICES -> repairDevices(Responses.parse(response, MultiRecipientStaleDevices.parser()),
                        targets);
                case NOT_FOUND -> {
                    // Members whose accounts are gone: the message goes to the others.
                    Set<UUID> gone = new HashSet<>();
                    for (ByteString account : Responses.parse(response, UnknownRecipients.parser()).getAccountIdsList()) {
                        gone.add(Uuids.fromByteString(account));
                    }
                    if (gone.isEmpty()) {
                        Responses.checkOk(response);
                    }
                    targets = targets.stream().filter(t -> !gone.contains(t.account())).toList();
                }
                default -> Responses.checkOk(response);
            }
        }
        throw new ServerRejectedException(ErrorCode.STALE_DEVICES,
                "The members' devices kept changing while sending; try again.");
    }

    /**
     * Builds sessions with members we never wrote to, and returns each reachable member's devices;
     * members whose accounts are gone are left out.
     */
    private Map<Target, List<Integer>> withSessions(List<Target> targets) throws ClientException {
        Map<Target, List<Integer>> reachable = new LinkedHashMap<>();
        for (Target target : targets) {
            if (store.identity(target.name()).map(r -> r.trust() == TrustLevel.UNTRUSTED).orElse(false)) {
                throw new UntrustedIdentityError(target.username());
            }
            List<Integer> devices = store.sessionDevices(target.name());
            if (devices.isEmpty()) {
                try {
                    sender.startSessions(target.username(), target.account(), Set.of());
                } catch (UnknownUserException | ServerRejectedException e) {
                    log.warn("a group member cannot receive and is left out of this message: {}", e.getClass().getSimpleName());
                    continue;
                }
                devices = store.sessionDevices(target.name());
            }
            reachable.put(target, devices);
        }
        return reachable;
    }

    /** Sends our sender key, pairwise, to every target device that does not hold it yet. */
    private void distributeSenderKey(byte[] groupId, UUID distributionId, Map<Target, List<Integer>> devices)
            throws ClientException {
        SenderKeyDistributionMessage distribution = sender.exclusively(() ->
                new GroupSessionBuilder(store).create(selfAddress, distributionId));
        Set<GroupStore.Holder> holders = groups.holders(groupId, distributionId);
        for (Map.Entry<Target, List<Integer>> entry : devices.entrySet()) {
            Target target = entry.getKey();
            if (entry.getValue().stream().allMatch(d -> holders.contains(new GroupStore.Holder(target.account(), d)))) {
                continue;
            }
            Content content = sender.contentFromHere()
                    .setSenderKeyDistributionMessage(ByteString.copyFrom(distribution.serialize()))
                    .build();
            sender.sendPairwise(target.username(), target.account(), content, clock.millis());
            // The pairwise send may have found new or reinstalled devices of the member.
            List<Integer> now = store.sessionDevices(target.name());
            entry.setValue(now);
            groups.addHolders(groupId, distributionId, target.account(), now);
        }
    }

    private byte[] seal(byte[] groupId, UUID distributionId, Map<Target, List<Integer>> devices, byte[] plaintext)
            throws ClientException {
        List<Target> targets = List.copyOf(devices.keySet());
        List<SignalProtocolAddress> addresses = new ArrayList<>();
        for (Map.Entry<Target, List<Integer>> entry : devices.entrySet()) {
            for (int device : entry.getValue()) {
                addresses.add(new SignalProtocolAddress(entry.getKey().name(), device));
            }
        }
        SenderCertificate certificate = sender.senderCertificate(); // may ask the server: before the lock
        return sender.exclusively(() -> {
            try {
                CiphertextMessage ciphertext = new GroupCipher(store, selfAddress).encrypt(distributionId, plaintext);
                UnidentifiedSenderMessageContent content = new UnidentifiedSenderMessageContent(ciphertext,
                        certificate, UnidentifiedSenderMessageContent.CONTENT_HINT_RESENDABLE, Optional.of(groupId));
                return new SealedSessionCipher(store, self, null, selfDevice).multiRecipientEncrypt(addresses, content);
            } catch (NoSessionException e) {
                throw new LocalFailureException("A session with a group member vanished while sending.", e);
            } catch (UntrustedIdentityException e) {
                throw new UntrustedIdentityError(usernameOf(targets, e.getName()));
            } catch (InvalidKeyException | InvalidRegistrationIdException e) {
                throw new LocalFailureException("A session with a group member is damaged: " + e.getMessage(), e);
            }
        });
    }

    private static String usernameOf(List<Target> targets, String name) {
        return targets.stream().filter(t -> t.name().equals(name)).map(Target::username).findFirst().orElse(name);
    }

    /** The XOR of every target's access key, when we know all of them (from their profile keys). */
    private Optional<byte[]> combinedAccessKey(List<Target> targets) {
        byte[] combined = new byte[16];
        for (Target target : targets) {
            Optional<byte[]> profileKey = messages.profileKey(target.account());
            if (profileKey.isEmpty()) {
                return Optional.empty();
            }
            byte[] key = ProfileCipher.accessKey(profileKey.get());
            for (int i = 0; i < combined.length; i++) {
                combined[i] ^= key[i];
            }
        }
        return Optional.of(combined);
    }

    private void repairDevices(MultiRecipientStaleDevices stale, List<Target> targets) throws ClientException {
        for (AccountStaleDevices account : stale.getAccountsList()) {
            UUID id = Uuids.fromByteString(account.getAccountId());
            String name = id.toString();
            for (int device : account.getDevices().getExtraList()) {
                store.deleteSession(new SignalProtocolAddress(name, device));
                groups.forgetHolder(id, device);
            }
            for (int device : account.getDevices().getStaleList()) {
                store.deleteSession(new SignalProtocolAddress(name, device));
                groups.forgetHolder(id, device);
            }
            Set<Integer> needed = new TreeSet<>(account.getDevices().getMissingList());
            needed.addAll(account.getDevices().getStaleList());
            if (!needed.isEmpty()) {
                sender.startSessions(usernameOf(targets, name), id, needed);
            }
        }
    }
}
