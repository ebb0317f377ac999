// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceCredentialsTest {
    private static final UUID ACCOUNT = UUID.fromString("0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b");
    private static final String PASSWORD = Base64.getEncoder().encodeToString(new byte[32]);

    @Test
    void headerRoundTrips() {
        byte[] password = new byte[32];
        new Random(1).nextBytes(password);
        DeviceCredentials credentials = new DeviceCredentials(ACCOUNT, 7, password);

        DeviceCredentials parsed = DeviceCredentials.parse(credentials.toAuthorizationHeader()).orElseThrow();

        assertThat(parsed.accountId()).isEqualTo(ACCOUNT);
        assertThat(parsed.deviceId()).isEqualTo(7);
        assertThat(parsed.password()).isEqualTo(password);
    }

    @Test
    void headerIsHttpBasicWithAccountDotDevice() {
        String header = new DeviceCredentials(ACCOUNT, 2, new byte[32]).toAuthorizationHeader();

        assertThat(header).startsWith("Basic ");
        String decoded = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8);
        assertThat(decoded).isEqualTo(ACCOUNT + ".2:" + PASSWORD);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"Basic", "Basic ", "Bearer abc", "basic", "Basic !!!not base64!!!", "Basic ===="})
    void malformedHeaderIsEmpty(String header) {
        assertThat(DeviceCredentials.parse(header)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",                                                   // nothing inside
            "no colon and no dot",
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b.1",             // no password part
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b:secret",        // no device id
            "not-a-uuid.1:AAAA",
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b.x:AAAA",        // device id not a number
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b.99999999999:AAAA", // device id overflows int
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b.:AAAA",         // empty device id
            "0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b.1:!!!",         // password not base64
            ".1:AAAA",                                            // empty account id
            ":AAAA",
    })
    void malformedCredentialsInsideBasicAreEmpty(String userAndPassword) {
        assertThat(DeviceCredentials.parse(basic(userAndPassword))).isEmpty();
    }

    @Test
    void overlongHeaderIsEmpty() {
        // Otherwise valid, so only the length check can refuse it.
        String header = basic(ACCOUNT + ".1:" + Base64.getEncoder().encodeToString(new byte[400]));
        assertThat(header.length()).isGreaterThan(512);

        assertThat(DeviceCredentials.parse(header)).isEmpty();
    }

    @Test
    void randomHeadersNeverThrow() {
        // Headers come from anyone on the network: parse must answer empty rather than throw.
        Random random = new Random(42);
        String valid = new DeviceCredentials(ACCOUNT, 3, new byte[32]).toAuthorizationHeader();
        for (int i = 0; i < 20_000; i++) {
            String header = i % 2 == 0 ? mutate(valid, random) : "Basic " + base64OfRandomText(random);
            assertThatCode(() -> DeviceCredentials.parse(header)).as(header).doesNotThrowAnyException();
        }
    }

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    private static String mutate(String header, Random random) {
        char[] chars = header.toCharArray();
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes; i++) {
            chars[random.nextInt(chars.length)] = (char) (32 + random.nextInt(95));
        }
        return new String(chars);
    }

    /** Text built from the characters the parser looks at, so the odd cases come up often. */
    private static String base64OfRandomText(Random random) {
        String alphabet = "0123456789abcdef-.:=+/ AZ\u00e9";
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(60);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return Base64.getEncoder().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
