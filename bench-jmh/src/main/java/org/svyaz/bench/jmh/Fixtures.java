// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.jmh;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.SendRequest;

/**
 * The realistic inputs the benchmarks share: what a one-device send and its stored envelope look
 * like on the wire. Random bytes stand in for ciphertext (the server never looks inside it), drawn
 * from a seeded generator so every run measures the same bytes.
 */
final class Fixtures {
    /** The server's default WebSocket message limit (ServerConfig's TransportLimits). */
    static final int MAX_FRAME_BYTES = 1024 * 1024;

    private Fixtures() {}

    static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    static UUID randomUuid(SplittableRandom random) {
        return new UUID(random.nextLong(), random.nextLong());
    }

    /** A send to one device of another account, as the client's SignalCrypto output produces it. */
    static SendRequest sendRequest(SplittableRandom random, int ciphertextBytes) {
        return SendRequest.newBuilder()
                .setDestination(Uuids.toByteString(randomUuid(random)))
                .setTimestamp(1_760_000_000_000L)
                .addMessages(OutgoingMessage.newBuilder()
                        .setDeviceId(1)
                        .setRegistrationId(4242)
                        .setType(EnvelopeType.CIPHERTEXT)
                        .setContent(ByteString.copyFrom(randomBytes(random, ciphertextBytes))))
                .build();
    }

    /** The envelope MessageService stores for a send like the one above, serialized as stored and pushed. */
    static byte[] envelope(SplittableRandom random, int ciphertextBytes) {
        return Envelope.newBuilder()
                .setGuid(ByteString.copyFrom(randomBytes(random, 16)))
                .setType(EnvelopeType.CIPHERTEXT)
                .setSourceAccount(Uuids.toByteString(randomUuid(random)))
                .setSourceDevice(1)
                .setTimestamp(1_760_000_000_000L)
                .setServerTimestamp(1_760_000_000_123L)
                .setContent(ByteString.copyFrom(randomBytes(random, ciphertextBytes)))
                .build()
                .toByteArray();
    }

    /**
     * A mailbox guid that is unique without SecureRandom: the store is what is measured, not the
     * server's guid generator. The run's random prefix keeps guids of separate runs apart.
     */
    static byte[] guid(long runPrefix, long counter) {
        return ByteBuffer.allocate(16).putLong(runPrefix).putLong(counter).array();
    }

    static Path tempDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a benchmark's database directory; the benchmark owns everything under it. */
    static void deleteRecursively(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
