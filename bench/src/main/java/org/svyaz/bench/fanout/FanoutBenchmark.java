// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.Logins;
import org.svyaz.bench.relay.ServerSamples;
import org.svyaz.bench.relay.UserSession;
import org.svyaz.bench.server.ProcessSample;
import org.svyaz.bench.svyaz.SvyazSystem;
import org.svyaz.client.groups.GroupId;
import org.svyaz.protocol.InviteLink;

/**
 * Scenario (e), fan-out to a group: N members log in and stay online; one or a few of them send M
 * group messages, each one Sealed Sender v2 payload for every other member that the server splits
 * into one copy per member device, as a Svyaz (and Signal) client sends to a group. The number
 * that matters is how fast the server turns sends into delivered copies: distinct copies per
 * second from the first send to the last arrival, and how long a message takes to reach its last
 * member.
 *
 * <p>Phases: register members (keeping their keys) → set up the group as a client would, unmeasured
 * (sender certificates, every member's prekey bundle from the server, sessions, sender keys) →
 * seal every message (timed apart) → log every member in → send → wait for every answer → drain
 * (until every copy owed has arrived, or the drain timeout) → listen until quiet → open a sample
 * of copies with the members' keys → log out. Every wait is bounded.
 */
public final class FanoutBenchmark {
    /** Logins in flight at once: TLS handshakes on both sides compete for the same cores. */
    private static final int PARALLEL_LOGINS = 8;

    private final SvyazSystem system;
    private final FanoutOptions options;
    private final Consumer<String> progress;

    /**
     * {@code system} must keep its users' keys ({@code new SvyazSystem(server, true)}).
     * {@code progress} receives one line per phase (for stderr); it never names users or addresses.
     */
    public FanoutBenchmark(SvyazSystem system, FanoutOptions options, Consumer<String> progress) {
        this.system = system;
        this.options = options;
        this.progress = progress;
    }

    public FanoutReport run() throws BenchException {
        List<String> notes = new ArrayList<>();
        int members = options.members();
        long registrationStart = System.nanoTime();
        system.createUsers(members);
        double registrationSeconds = secondsSince(registrationStart);
        progress.accept(String.format("created %d members in %.1f s", members, registrationSeconds));
        List<BenchAccount> accounts = system.accounts();
        FanoutLedger ledger = new FanoutLedger(members, options.messageSenders());
        CertificateValidator validator = validator(system.link());

        long setupStart = System.nanoTime();
        byte[] groupId = GroupId.random().bytes();
        List<GroupSender> groupSenders = prepareSenders(accounts, groupId, ledger);
        MemberStores stores = new MemberStores(accounts);
        groupSenders.forEach(stores::takeSenderKey);
        double setupSeconds = secondsSince(setupStart);
        progress.accept(String.format("%d sender(s) hold sessions with %d members and their sender keys are "
                + "shared, after %.1f s", options.senders(), members - 1, setupSeconds));

        SealedMessages sealed = SealedMessages.seal(options, groupSenders);
        FanoutReport.Encryption encryption = sealed.encryption();
        progress.accept(String.format("sealed %d messages for %d devices each in %.1f s (%.1f ms per message, "
                + "median)", options.messages(), encryption.recipientDevices(), encryption.seconds(),
                encryption.p50Millis()));

        AtomicLongArray sentNanos = new AtomicLongArray(options.messages());
        FanoutArrivals arrivals = new FanoutArrivals(ledger, sealed, sentNanos,
                CopyVerifier.stride(options, sealed.largestCopyBytes()));
        List<SvyazSystem.Session> senderSessions = new ArrayList<>(options.senders());
        List<UserSession> memberSessions = List.of();
        try {
            long connectStart = System.nanoTime();
            for (int sender = 0; sender < options.senders(); sender++) {
                senderSessions.add(system.logIn(sender, arrivals.inboxFor(sender)));
            }
            memberSessions = Logins.logIn(system, options.senders(), members - options.senders(),
                    arrivals::inboxFor, PARALLEL_LOGINS);
            double connectSeconds = secondsSince(connectStart);
            progress.accept(String.format("logged in %d members in %.1f s", members, connectSeconds));

            Optional<ProcessSample> withConnections = ServerSamples.of(system.serverPids());
            Optional<ProcessSample> loadToolBefore = ProcessSample.of(ProcessHandle.current().pid());
            FanoutSenders senders = new FanoutSenders(ledger, sealed, sentNanos, options);
            long start = System.nanoTime();
            int gaveUp = senders.sendAll(senderSessions);
            double sendSeconds = secondsSince(start);
            if (gaveUp > 0) {
                notes.add(gaveUp + " sender(s) stopped sending: the server left " + options.window()
                        + " sends unanswered for " + FanoutSenders.ANSWER_TIMEOUT.toSeconds() + " s.");
            }
            progress.accept(String.format("%d sends answered in %.1f s; draining", ledger.answered(), sendSeconds));

            if (arrivals.awaitAllDelivered(options.drainTimeout())) {
                arrivals.awaitQuiet();
            } else {
                notes.add("Not every copy the server accepted arrived within the drain timeout of "
                        + options.drainTimeout().toSeconds() + " s; the rest is counted lost.");
            }
            Optional<ProcessSample> afterRun = ServerSamples.of(system.serverPids());
            Optional<ProcessSample> loadToolAfter = ProcessSample.of(ProcessHandle.current().pid());
            long closed = senderSessions.stream().filter(c -> !c.isOpen()).count()
                    + memberSessions.stream().filter(c -> !c.isOpen()).count();
            if (closed > 0) {
                notes.add(closed + " connection(s) closed during the run.");
            }
            notes.addAll(explain(senders.rejections()));

            FanoutLedger.Summary summary = ledger.summarize();
            long lastArrival = arrivals.lastFirstArrivalNanos();
            double runSeconds = lastArrival == 0 ? sendSeconds : (lastArrival - start) / 1e9;
            Double loadToolCpu = loadToolBefore.isPresent() && loadToolAfter.isPresent()
                    ? (loadToolAfter.get().cpuNanos() - loadToolBefore.get().cpuNanos()) / 1e9 : null;

            FanoutReport.Verification verification = new CopyVerifier(accounts, stores, validator, options, groupId)
                    .verify(arrivals.kept());
            progress.accept(String.format("opened %d copies with the members' keys in %.1f s: %d as sent, %d not",
                    verification.copies(), verification.seconds(), verification.opened(), verification.failed()));
            if (verification.failed() > 0) {
                notes.add(verification.failed() + " copies did not open for the member that got them, or held "
                        + "another message than the one they were counted as.");
            }
            return new FanoutReport("fanout", members, options.senders(), options.messages(), options.size(),
                    options.window(), options.seed(), system.description(), registrationSeconds, setupSeconds,
                    encryption, connectSeconds, sendSeconds, runSeconds,
                    runSeconds > 0 ? summary.delivered() / runSeconds : 0, summary, senders.rejections(),
                    arrivals.copyLatency(), arrivals.completionLatency(), usage(withConnections, afterRun, summary),
                    loadToolCpu, verification, List.copyOf(notes));
        } finally {
            Logins.logOut(senderSessions);
            Logins.logOut(memberSessions);
        }
    }

    /**
     * Each sender logs in once to do what a client does before its first group message; nothing of
     * this run can reach it yet, so anything that does is counted foreign.
     */
    private List<GroupSender> prepareSenders(List<BenchAccount> accounts, byte[] groupId, FanoutLedger ledger)
            throws BenchException {
        List<GroupSender> senders = new ArrayList<>(options.senders());
        for (int sender = 0; sender < options.senders(); sender++) {
            SvyazSystem.Session session = system.logIn(sender, Inbox.opaque(copy -> ledger.foreign()));
            try {
                senders.add(GroupSender.prepare(accounts.get(sender), session, accounts, groupId));
            } finally {
                session.close();
            }
        }
        return senders;
    }

    /** Checks sender certificates as a client does: against the trust root in the server's invite link. */
    private static CertificateValidator validator(InviteLink link) throws BenchException {
        byte[] trustRoot = link.descriptor().getSealedSenderTrustRoot().toByteArray();
        if (trustRoot.length == 0) {
            throw new BenchException("The server's invite link names no sealed-sender trust root, so no member "
                    + "could open a group message.", null);
        }
        try {
            return new CertificateValidator(new ECPublicKey(trustRoot));
        } catch (InvalidKeyException e) {
            throw new BenchException("The sealed-sender trust root in the server's invite link is unreadable.", e);
        }
    }

    /** What the refusals the server answers a group send with mean for the run. */
    private static List<String> explain(Map<String, Long> rejections) {
        List<String> notes = new ArrayList<>();
        if (rejections.containsKey("TOO_LARGE")) {
            notes.add("The server refused " + rejections.get("TOO_LARGE") + " send(s) as TOO_LARGE: a message may "
                    + "expand to at most its fan-out limit over all recipient devices (MessageLimits.maxFanOutBytes, "
                    + "32 MiB by default, about 33 KB per member in a group of 1,000); lower --size.");
        }
        if (rejections.containsKey("RATE_LIMITED")) {
            notes.add("The server rate-limited " + rejections.get("RATE_LIMITED") + " send(s): raise its "
                    + "--send-burst and --sends-per-second (a spawned server has them out of the way).");
        }
        return notes;
    }

    private static FanoutReport.ServerUsage usage(Optional<ProcessSample> withConnections,
                                                  Optional<ProcessSample> afterRun, FanoutLedger.Summary summary) {
        if (withConnections.isEmpty() || afterRun.isEmpty()) {
            return null;
        }
        double cpuSeconds = (afterRun.get().cpuNanos() - withConnections.get().cpuNanos()) / 1e9;
        return new FanoutReport.ServerUsage(cpuSeconds,
                summary.delivered() == 0 ? 0 : cpuSeconds * 1e6 / summary.delivered(),
                summary.accepted() == 0 ? 0 : cpuSeconds * 1e3 / summary.accepted(),
                withConnections.get().rssBytes(), afterRun.get().rssBytes(), afterRun.get().peakRssBytes());
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
