// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.svyaz.lab.CensorLab.Host;

/**
 * The Svyaz side of the lab, every part a real process in its namespace: the server (listening
 * on {@code svyaz.test:8443}, advertising only that name), a relay on port 443 of its own host, a
 * DNS-over-HTTPS resolver, and the launcher for client commands.
 */
final class LabServices {
    static final Path JAR = Path.of("..", "app", "target", "svyaz.jar").toAbsolutePath().normalize();
    static final String COVER_NAME = "www.example.com";
    static final String RELAY_SNI = "news.example.org";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final CensorLab lab;
    private final Path workDir;
    private Process server;
    private int serverStarts;
    private String relayLink;
    private String dohUrl;
    final Path site;

    private LabServices(CensorLab lab, Path workDir) {
        this.lab = lab;
        this.workDir = workDir;
        this.site = workDir.resolve("site");
    }

    /** Starts the resolver, the server, the relay, and publishes the relay, resolver and cover name. */
    static LabServices start(CensorLab lab, Path workDir) throws Exception {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing; the app module's package phase builds it");
        }
        LabServices services = new LabServices(lab, workDir);
        services.startDoh();
        services.startServer();
        services.startRelay();
        CensorLab.Result edit = lab.exec(Host.SERVER, Duration.ofSeconds(60), services.svyaz("server", "descriptor",
                "--data", services.serverData().toString(), "--add-relay", services.relayLink,
                "--add-doh", services.dohUrl, "--add-cover-name", COVER_NAME));
        CensorLab.check(edit);
        services.restartServer();
        return services;
    }

    Path serverData() {
        return workDir.resolve("server");
    }

    String inviteLink() throws IOException {
        return Files.readString(serverData().resolve("invite.txt")).strip();
    }

    String relayLink() {
        return relayLink;
    }

    /** The launcher's command line: the same JVM as the tests, the packaged jar. */
    static List<String> svyaz(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        return command;
    }

    private void startDoh() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.svyaz.client.net.DohTestServer",
                CensorLab.DOH_IP + ":443", workDir.resolve("doh").toString(),
                CensorLab.SERVER_NAME + "=" + CensorLab.SERVER_IP));
        Process doh = lab.spawnReadable(Host.DOH, "doh", command);
        dohUrl = firstLine(doh, "the DoH resolver");
    }

    private void startServer() throws Exception {
        Files.deleteIfExists(serverData().resolve("invite.txt"));
        server = lab.spawn(Host.SERVER, "server-" + (++serverStarts), svyaz("server", "--data", serverData().toString(),
                "--listen", CensorLab.SERVER_IP + ":8443", "--advertise", CensorLab.SERVER_NAME + ":8443", "--admin", "off"));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(serverData().resolve("invite.txt"))) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the lab server exited with " + server.exitValue() + "; see " + lab.logs());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the lab server did not start; see " + lab.logs());
            }
            Thread.sleep(100);
        }
    }

    private void restartServer() throws Exception {
        server.destroy();
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the lab server did not stop on SIGTERM");
        }
        startServer();
    }

    private void startRelay() throws Exception {
        Files.createDirectories(site);
        Files.writeString(site.resolve("index.html"), "<!doctype html><title>Garden notes</title>"
                + "<h1>Garden notes</h1><p>Tomatoes, beans and the first frost.</p>\n");
        Process relay = lab.spawnReadable(Host.RELAY, "relay", svyaz("relay", "--listen", CensorLab.RELAY_IP + ":443",
                "--upstream", inviteLink(), "--upstream-address", CensorLab.SERVER_IP + ":8443",
                "--sni", RELAY_SNI, "--site", site.toString(), "--data", workDir.resolve("relay").toString()));
        relayLink = firstLine(relay, "the relay");
    }

    private String firstLine(Process process, String what) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        }).completeOnTimeout(null, START_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        if (line == null || line.isBlank()) {
            throw new IllegalStateException(what + " did not start; see " + lab.logs());
        }
        // Keep draining so the process never blocks on a full pipe.
        Thread.ofVirtual().start(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        return line.strip();
    }
}
