// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code svyaz app} process on its own data directory, and the link it printed to open it with. */
record WebApp(Process process, String link) {
    private static final Pattern LINK = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/#secret=[A-Za-z0-9_-]+(&link=\\S+)?");

    /**
     * Starts {@code svyaz app --no-open} on {@code dataDir}, its output in {@code logs/NAME.out}, and
     * waits for its link. {@code svyazLink}: a svyaz:// link to open the app with, as a click on one does.
     */
    static WebApp start(Path logs, Path dataDir, String name, String... svyazLink) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("-d", dataDir.toString(), "app", "--no-open"));
        arguments.addAll(List.of(svyazLink));
        Process app = Cli.start(logs, name, arguments.toArray(String[]::new));
        Path out = logs.resolve(name + ".out");
        String[] link = new String[1];
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                if (!app.isAlive()) {
                    throw new IllegalStateException("svyaz app exited with " + app.exitValue());
                }
                Matcher found = LINK.matcher(Files.exists(out) ? Files.readString(out) : "");
                if (found.find()) {
                    link[0] = found.group();
                }
                return link[0] != null;
            });
        } catch (RuntimeException e) {
            app.destroy();
            throw e;
        }
        return new WebApp(app, link[0]);
    }
}
