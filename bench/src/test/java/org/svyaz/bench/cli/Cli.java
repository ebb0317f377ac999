// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged load tool ({@code target/svyaz-bench.jar}) as a real process, as {@code ./svyaz}
 * starts it: the launcher's arguments, {@code bench} first.
 */
final class Cli {
    static final Path JAR = Path.of("target", "svyaz-bench.jar").toAbsolutePath();

    record Result(int exitCode, String out, String err) {}

    private Cli() {}

    /** Runs a command to completion (at most two minutes) and returns its exit code and output. */
    static Result run(String... args) throws IOException, InterruptedException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing; the package phase builds it before integration tests");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        // Both streams read at once, so a full pipe cannot block the process.
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> text(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> text(process.getErrorStream()));
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("svyaz " + String.join(" ", args) + " did not finish in two minutes");
        }
        return new Result(process.exitValue(), out.join(), err.join());
    }

    private static String text(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
