// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HOST:PORT as typed, and the default socket path. */
class ListenAddressTest {
    @Test
    void parsesNamesAddressesAndBracketedIpv6() {
        assertThat(ListenAddress.parse("127.0.0.1:7583")).isEqualTo(new ListenAddress("127.0.0.1", 7583));
        assertThat(ListenAddress.parse("localhost:0")).isEqualTo(new ListenAddress("localhost", 0));
        assertThat(ListenAddress.parse("[::1]:8080")).isEqualTo(new ListenAddress("::1", 8080));
        assertThat(ListenAddress.parse("[::1]:8080").toString()).isEqualTo("[::1]:8080");
        assertThat(ListenAddress.DEFAULT_TCP.toString()).isEqualTo("127.0.0.1:7583");
        assertThat(ListenAddress.DEFAULT_HTTP.toString()).isEqualTo("127.0.0.1:8080");
    }

    @Test
    void mistakesAreOneSentence() {
        assertThatThrownBy(() -> ListenAddress.parse("7583")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("host:")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("::1:80")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> ListenAddress.parse("host:http")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ListenAddress.parse("host:70000")).hasMessageContaining("65535");
    }

    @Test
    void theDefaultSocketIsInTheRuntimeFolderElseTheDataFolder() {
        Path data = Path.of("/home/u/.local/share/svyaz");

        assertThat(DaemonConfig.defaultSocketPath(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), data))
                .isEqualTo(Path.of("/run/user/1000/svyaz/socket"));
        assertThat(DaemonConfig.defaultSocketPath(Map.of("XDG_RUNTIME_DIR", " "), data)).isEqualTo(data.resolve("socket"));
        assertThat(DaemonConfig.defaultSocketPath(Map.of(), data)).isEqualTo(data.resolve("socket"));
    }
}
