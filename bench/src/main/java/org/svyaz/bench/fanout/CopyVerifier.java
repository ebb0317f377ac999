// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.relay.Payload;

/**
 * After the run, opens kept copies as the members' clients would, to show that each copy was the
 * one sealed for the member that got it (the server split the payload right) and carries the
 * message it was counted as: the sender certificate checks out against the server's trust root,
 * the sender and the group are the expected ones, and the plaintext's header names the message.
 * Identification during the run compares bytes only; this is the check that needs the keys.
 *
 * <p>Opening a copy costs this tool several public-key operations, so it happens after the
 * server's numbers are taken, on a bounded sample: every copy of every {@link #stride}-th message.
 */
final class CopyVerifier {
    /** At most this many copies are opened; a small run opens all of them. */
    static final long MAX_COPIES = 10_000;
    /** And the kept copies may take at most this much memory while the run lasts. */
    static final long MAX_BYTES = 64L * 1024 * 1024;
    /** A generous bound: opening one copy takes well under a millisecond. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    /** The tool's share of the machine after the run: the server is idle by then. */
    private static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final List<BenchAccount> accounts;
    private final MemberStores stores;
    private final CertificateValidator validator;
    private final FanoutOptions options;
    private final byte[] groupId;

    CopyVerifier(List<BenchAccount> accounts, MemberStores stores, CertificateValidator validator,
                 FanoutOptions options, byte[] groupId) {
        this.accounts = accounts;
        this.stores = stores;
        this.validator = validator;
        this.options = options;
        this.groupId = groupId.clone();
    }

    /**
     * Keep every {@code stride}-th message's copies so that at most {@link #MAX_COPIES} copies and
     * {@link #MAX_BYTES} bytes are kept; {@code copyBytes} is the size of one copy.
     */
    static int stride(FanoutOptions options, long copyBytes) {
        long copiesPerMessage = options.members() - 1L;
        long messagesWithin = Math.min(MAX_COPIES / copiesPerMessage, MAX_BYTES / (copiesPerMessage * copyBytes));
        if (messagesWithin < 1) {
            // One message's copies alone are over the bound (the server's fan-out limit, 32 MiB by
            // default, keeps them near it): the first message only.
            return options.messages();
        }
        return (int) Math.max(1, (options.messages() + messagesWithin - 1) / messagesWithin);
    }

    /** Opens every copy; each member's copies in message order, as its sender-key chain advances. */
    FanoutReport.Verification verify(List<FanoutArrivals.Copy> copies) throws BenchException {
        Map<Integer, List<FanoutArrivals.Copy>> byMember = new TreeMap<>();
        for (FanoutArrivals.Copy copy : copies) {
            byMember.computeIfAbsent(copy.member(), m -> new ArrayList<>()).add(copy);
        }
        AtomicLong opened = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS,
                Thread.ofPlatform().name("bench-verify-", 0).daemon(true).factory());
        try {
            for (List<FanoutArrivals.Copy> memberCopies : byMember.values()) {
                memberCopies.sort(Comparator.comparingInt(FanoutArrivals.Copy::message));
                // One task per member: a member's store is used by one thread at a time.
                pool.execute(() -> {
                    for (FanoutArrivals.Copy copy : memberCopies) {
                        (opensAsSent(copy) ? opened : failed).incrementAndGet();
                    }
                });
            }
            pool.shutdown();
            if (!pool.awaitTermination(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchException("Opening " + copies.size() + " copies took longer than "
                        + TIMEOUT.toMinutes() + " minutes.", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("Interrupted while opening copies.", e);
        } finally {
            pool.shutdownNow();
        }
        return new FanoutReport.Verification(copies.size(), opened.get(), failed.get(),
                (System.nanoTime() - start) / 1e9);
    }

    /** Whether the member opens the copy and finds in it what the run sent as that message. */
    private boolean opensAsSent(FanoutArrivals.Copy copy) {
        BenchAccount sender = accounts.get(options.senderOf(copy.message()));
        SealedSessionCipher.DecryptionResult result;
        try {
            result = stores.open(copy.member(), copy.content(), validator);
        } catch (Exception e) {
            return false; // not sealed for this member, damaged, or not from a certified sender
        }
        Optional<Payload> header = Payload.decode(result.getPaddedMessage());
        return result.getSenderUuid().equals(sender.accountId().toString())
                && result.getDeviceId() == sender.credentials().deviceId()
                && result.getGroupId().map(id -> Arrays.equals(id, groupId)).orElse(false)
                && header.isPresent()
                && header.get().equals(new Payload(sender.index(), SealedMessages.GROUP, copy.message(), 0));
    }
}
