// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

/** A bot: an account registered with the CLI and served by {@code svyaz daemon} on a UNIX socket. */
record BotDaemon(Process process, Path socket) {
    /** Registers {@code username} under {@code temp/USERNAME} and starts its daemon; waits until it answers. */
    static BotDaemon start(Path temp, String inviteLink, String username) throws Exception {
        Cli.Result registered = Cli.run("-d", temp.resolve(username).toString(), "register", "--server", inviteLink,
                "--username", username);
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Path socket = temp.resolve("sockets").resolve(username + ".sock");
        Process daemon = Cli.start(temp.resolve("logs"), "daemon-" + username, "-d", temp.resolve(username).toString(),
                "-a", username, "daemon", "--socket", socket.toString());
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                try (RpcClient probe = RpcClient.unix(socket)) {
                    return probe.call("version", null).has("result");
                }
            });
        } catch (RuntimeException e) {
            daemon.destroy();
            throw e;
        }
        return new BotDaemon(daemon, socket);
    }
}
