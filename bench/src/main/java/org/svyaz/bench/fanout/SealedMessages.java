// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.fanout;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Payload;

/**
 * The run's group messages, sealed before anything is measured so that the run times the server's
 * fan-out rather than this tool's encryption, and the way a copy that reaches a member is told
 * apart without decrypting it.
 *
 * <p>Message i's plaintext is a {@link Payload} header (its sender, {@link #GROUP} as the
 * recipient, i as the sequence) padded to the run's size. What a member receives is libsignal's
 * received form of the sealed payload: a version byte, 48 bytes of key material that differ for
 * every recipient, then the shared bytes (the ephemeral public key and the ciphertext) that every
 * recipient of that message gets alike and no other message has. A copy is message i's when it has
 * exactly that layout and its shared bytes are exactly message i's: looked up by their last 16
 * bytes (the ciphertext's authentication tag), then compared byte for byte. Whether the copy also
 * opens for the member it reached is checked by decryption after the run ({@link CopyVerifier}).
 */
final class SealedMessages {
    /** The recipient field of a group message's header: the whole group, not one member. */
    static final int GROUP = -1;
    /** libsignal's received sealed-sender v2 message starts with this version byte. */
    private static final int RECEIVED_VERSION = 0x22;
    /** The version byte and the recipient's own key material (c, 32 bytes, and at, 16 bytes). */
    private static final int RECIPIENT_PREFIX_BYTES = 1 + 48;
    private static final int TAIL_BYTES = 16;

    /** The last bytes of a payload, as a map key. */
    private record Tail(long high, long low) {
        static Tail of(byte[] bytes) {
            ByteBuffer end = ByteBuffer.wrap(bytes, bytes.length - TAIL_BYTES, TAIL_BYTES);
            return new Tail(end.getLong(), end.getLong());
        }
    }

    private final GroupSender.Sealed[] sealed;
    private final Map<Tail, Integer> byTail;
    private final FanoutReport.Encryption encryption;

    private SealedMessages(GroupSender.Sealed[] sealed, Map<Tail, Integer> byTail,
                           FanoutReport.Encryption encryption) {
        this.sealed = sealed;
        this.byTail = byTail;
        this.encryption = encryption;
    }

    /** Seals every message of the run; {@code senders.get(s)} is member s, the sender of messages i ≡ s. */
    static SealedMessages seal(FanoutOptions options, List<GroupSender> senders) throws BenchException {
        byte[] filler = new byte[options.size()];
        new SplittableRandom(options.seed()).nextBytes(filler);
        GroupSender.Sealed[] sealed = new GroupSender.Sealed[options.messages()];
        Map<Tail, Integer> byTail = new HashMap<>();
        Histogram micros = new Histogram(3);
        long payloadBytes = 0;
        long start = System.nanoTime();
        for (int message = 0; message < options.messages(); message++) {
            int sender = options.senderOf(message);
            byte[] plaintext = new Payload(sender, GROUP, message, 0).encode(options.size(), filler);
            long before = System.nanoTime();
            sealed[message] = senders.get(sender).seal(plaintext);
            micros.recordValue(Math.max(0, (System.nanoTime() - before) / 1_000));
            byte[] payload = sealed[message].payload();
            payloadBytes += payload.length;
            if (sealed[message].sharedBytes() < TAIL_BYTES || sealed[message].sharedBytes() >= payload.length) {
                throw new BenchException("A sealed group message does not have the layout libsignal's format "
                        + "describes; copies could not be told apart.", null);
            }
            if (byTail.putIfAbsent(Tail.of(payload), message) != null) {
                // Cannot happen with libsignal's output (a fresh key per message); if it ever did,
                // copies could not be told apart and every count would be wrong.
                throw new BenchException("Two sealed group messages end alike; copies could not be told apart.", null);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        FanoutReport.Encryption encryption = new FanoutReport.Encryption(options.messages(),
                senders.getFirst().recipientDevices(), seconds, micros.getValueAtPercentile(50) / 1_000.0,
                micros.getValueAtPercentile(99) / 1_000.0, micros.getMaxValue() / 1_000.0,
                payloadBytes / options.messages());
        return new SealedMessages(sealed, byTail, encryption);
    }

    /** Message {@code message}'s payload, as sent; never modified. */
    byte[] payload(int message) {
        return sealed[message].payload();
    }

    /** The size of the largest copy a member receives. */
    long largestCopyBytes() {
        long largest = 0;
        for (GroupSender.Sealed message : sealed) {
            largest = Math.max(largest, RECIPIENT_PREFIX_BYTES + message.sharedBytes());
        }
        return largest;
    }

    /** How long sealing took. */
    FanoutReport.Encryption encryption() {
        return encryption;
    }

    /** Which message {@code copy} is a copy of; empty when it is none of this run's. */
    OptionalInt identify(byte[] copy) {
        if (copy.length < RECIPIENT_PREFIX_BYTES + TAIL_BYTES || (copy[0] & 0xFF) != RECEIVED_VERSION) {
            return OptionalInt.empty();
        }
        Integer message = byTail.get(Tail.of(copy));
        if (message == null) {
            return OptionalInt.empty();
        }
        byte[] payload = sealed[message].payload();
        int shared = sealed[message].sharedBytes();
        if (copy.length != RECIPIENT_PREFIX_BYTES + shared
                || !Arrays.equals(copy, RECIPIENT_PREFIX_BYTES, copy.length, payload, payload.length - shared,
                payload.length)) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(message);
    }
}
