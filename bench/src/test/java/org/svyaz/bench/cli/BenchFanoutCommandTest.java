// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code svyaz bench fanout} refuses what it cannot run, in one sentence, before it touches the network. */
class BenchFanoutCommandTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream realErr;

    @BeforeEach
    void captureStandardError() {
        realErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStandardError() {
        System.setErr(realErr);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anMqttBrokerIsRefusedForItHasNoGroupSend() {
        int code = Main.run("bench", "fanout", "--mqtt", "127.0.0.1:18883", "--ca", "broker.pem",
                "--members", "20", "--messages", "5");

        assertThat(code).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(err()).contains("runs against Svyaz only").contains("MQTT");
    }

    @Test
    void anXmppServerIsRefusedToo() {
        int code = Main.run("bench", "fanout", "--xmpp", "127.0.0.1:15222", "--ca", "server.pem");

        assertThat(code).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(err()).contains("runs against Svyaz only").contains("XMPP");
    }

    @Test
    void aGroupLargerThanAClientMakesIsRefused() {
        int code = Main.run("bench", "fanout", "--spawn", "--members", "1001");

        assertThat(code).isEqualTo(ExitCodes.USER_ERROR);
        assertThat(err()).contains("--members must be between 2 and 1000");
    }
}
