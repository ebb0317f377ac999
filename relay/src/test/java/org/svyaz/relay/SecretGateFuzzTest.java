// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.svyaz.protocol.RelayToken;

/**
 * Fuzz target for the relay's token preamble: the first bytes inside the TLS, fed to
 * {@link SecretGate} in pieces of fuzzed sizes. The relay's static token and an unexpired granted
 * token open the tunnel; anything else (a changed byte, an expired grant, another relay's token,
 * any other bytes) goes to the decoy site, and the gate decides by the first byte that differs
 * from every token's prefix, at most once. Replayed from {@code SecretGateFuzzTestInputs/} in every
 * build; fuzzed with {@code JAZZER_FUZZ=1} (SECURITY.md, "Fuzzing").
 */
class SecretGateFuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    private static final byte[] SECRET = "a relay's secret of 32 bytes....".getBytes(StandardCharsets.US_ASCII);
    private static final RelayToken TOKENS = new RelayToken(SECRET);
    private static final RelayToken OTHER_RELAY = new RelayToken(new byte[] {1});
    private static final long NOW = 1_800_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final RelayPipelines PIPELINES;

    static {
        try {
            Path site = Files.createTempDirectory("svyaz-gate-fuzz");
            Files.writeString(site.resolve("index.html"), "<p>hello</p>");
            site.toFile().deleteOnExit();
            site.resolve("index.html").toFile().deleteOnExit();
            // Port 9 (discard) on loopback; an embedded channel cannot connect anyway, so a tunnel closes at once.
            PIPELINES = new RelayPipelines(new DecoySite(site), new InetSocketAddress("127.0.0.1", 9), java.util.Optional.empty(),
                    Duration.ofSeconds(60));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void preamble(FuzzedDataProvider data) {
        int kind = data.consumeInt(0, 3);
        byte[] token = switch (kind) {
            case 0 -> RelayToken.staticToken(SECRET);
            case 1 -> TOKENS.grant(Arrays.copyOf(data.consumeBytes(RelayToken.TAG_BYTES), RelayToken.TAG_BYTES),
                    NOW + data.consumeLong(-100_000, 100_000));
            case 2 -> OTHER_RELAY.grant(new byte[RelayToken.TAG_BYTES], NOW + 1000);
            default -> new byte[0];
        };
        boolean tampered = token.length > 0 && data.consumeBoolean();
        if (tampered) {
            token[data.consumeInt(0, token.length - 1)] ^= (byte) data.consumeInt(1, 255);
        }
        byte[] rest = data.consumeBytes(data.consumeInt(0, 256));
        byte[] input = new byte[token.length + rest.length];
        System.arraycopy(token, 0, input, 0, token.length);
        System.arraycopy(rest, 0, input, token.length, rest.length);
        boolean opens = switch (kind) {
            case 0 -> !tampered;
            case 1 -> !tampered && NOW <= RelayToken.expiresAtSeconds(token) + RelayToken.CLOCK_SKEW_SECONDS;
            default -> false;
        };

        AtomicInteger tunnels = new AtomicInteger();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("idle", new IdleStateHandler(0, 0, 300));
        channel.pipeline().addLast("gate", new SecretGate(TOKENS, CLOCK, PIPELINES, opened -> tunnels.incrementAndGet()));
        try {
            int fed = 0;
            while (fed < input.length && channel.pipeline().get("gate") != null) {
                int piece = Math.min(input.length - fed, data.consumeInt(1, 40));
                channel.writeInbound(Unpooled.wrappedBuffer(input, fed, piece));
                fed += piece;
                decidedNoLaterThanItCould(channel, input, fed);
            }
            boolean decided = channel.pipeline().get("gate") == null;
            if (input.length >= RelayToken.BYTES || differsFromPrefix(input)) {
                assertThat(decided).as("enough bytes to decide").isTrue();
                assertThat(tunnels.get()).as("tunnel opened").isEqualTo(opens ? 1 : 0);
                assertThat(servedBySite(channel)).as("handed to the decoy site").isEqualTo(!opens);
            } else {
                assertThat(decided).as("a matching prefix waits for the rest").isFalse();
                assertThat(tunnels.get()).isZero();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * The site has the connection: its HTTP codec is in the pipeline, or it has already answered
     * (a bad request is answered and closed at once, and a closed embedded channel empties its pipeline).
     */
    private static boolean servedBySite(EmbeddedChannel channel) {
        if (channel.pipeline().get("http") != null) {
            return true;
        }
        ByteBuf answer = channel.readOutbound();
        if (answer == null) {
            return false;
        }
        try {
            return answer.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 ");
        } finally {
            answer.release();
        }
    }

    /** Once the bytes so far differ from the prefix, the gate has handed the connection on. */
    private static void decidedNoLaterThanItCould(EmbeddedChannel channel, byte[] input, int fed) {
        if (differsFromPrefix(Arrays.copyOf(input, fed)) || fed >= RelayToken.BYTES) {
            assertThat(channel.pipeline().get("gate")).as("decided after %d bytes", fed).isNull();
        }
    }

    private static boolean differsFromPrefix(byte[] bytes) {
        byte[] prefix = TOKENS.prefix();
        int n = Math.min(bytes.length, RelayToken.PREFIX_BYTES);
        return !Arrays.equals(Arrays.copyOf(bytes, n), Arrays.copyOf(prefix, n));
    }
}
