// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the packaged launcher ({@code target/svyaz.jar}) as a real process, as a user or script would. */
final class Cli {
    static final Path JAR = Path.of("target", "svyaz.jar").toAbsolutePath();

    record Result(int exitCode, String out, String err) {}

    private Cli() {}

    static List<String> command(String... args) {
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
        return command;
    }

    /** Starts a long-running command (the server); output goes to files in {@code logDir}. */
    static Process start(Path logDir, String name, String... args) throws IOException {
        return start(logDir, name, java.util.Map.of(), args);
    }

    /** Like {@link #start(Path, String, String...)} with extra environment variables (e.g. JAVA_TOOL_OPTIONS). */
    static Process start(Path logDir, String name, java.util.Map<String, String> environment, String... args)
            throws IOException {
        Files.createDirectories(logDir);
        ProcessBuilder builder = new ProcessBuilder(command(args))
                .redirectOutput(logDir.resolve(name + ".out").toFile())
                .redirectError(logDir.resolve(name + ".err").toFile());
        builder.environment().putAll(environment);
        return builder.start();
    }

    /** Runs a command to completion (at most two minutes) and returns its exit code and output. */
    static Result run(String... args) throws IOException, InterruptedException {
        return runWithEnvironment(java.util.Map.of(), args);
    }

    /** Like {@link #run} with extra environment variables (and without SVYAZ_HOME/XDG_DATA_HOME unless given). */
    static Result runWithEnvironment(java.util.Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command(args));
        builder.environment().remove("SVYAZ_HOME");
        builder.environment().remove("XDG_DATA_HOME");
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        // Read both streams on their own threads so a full pipe cannot block the process.
        var out = new StreamCollector(process.getInputStream());
        var err = new StreamCollector(process.getErrorStream());
        out.start();
        err.start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("svyaz " + String.join(" ", args) + " did not finish in two minutes");
        }
        out.join();
        err.join();
        return new Result(process.exitValue(), out.text(), err.text());
    }

    private static final class StreamCollector extends Thread {
        private final java.io.InputStream in;
        private volatile String text = "";

        StreamCollector(java.io.InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            try {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "<unreadable: " + e.getMessage() + ">";
            }
        }

        String text() {
            return text;
        }
    }
}
