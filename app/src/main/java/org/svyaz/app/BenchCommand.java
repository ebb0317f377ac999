// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code svyaz bench}: the load tool, which is a jar of its own ({@code bench/target/svyaz-bench.jar},
 * module {@code bench}) so that this one carries no benchmark library. {@code ./svyaz bench …}
 * starts that jar directly; this command is reached only when the launcher's jar is run by hand
 * (or with global options before {@code bench}), and runs the load tool's jar of the same tree as
 * a child process with the same arguments, passing its output and exit code through.
 *
 * <p>The description is the load tool's (bench's BenchCommand), for {@code svyaz --help}.
 */
@Command(name = "bench",
        description = {"Benchmarks: registered users over real TLS WebSockets against a real server, with every "
                + "message accounted for. See BENCHMARKS.md."})
final class BenchCommand implements Callable<Integer> {
    /** Where the load tool's jar lies relative to the source tree's root. */
    static final Path JAR_IN_TREE = Path.of("bench", "target", "svyaz-bench.jar");

    /** Everything after {@code bench}, help options included: the load tool parses it. */
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path jar = benchJar(launcherLocation());
        if (!Files.isRegularFile(jar)) {
            throw new CommandLineException("The load tool is a jar of its own and is not built here (" + jar
                    + "); run it with ./svyaz bench from the source tree, which builds it.");
        }
        Process process = new ProcessBuilder(command(jar, arguments)).inheritIO().start();
        // Ctrl-C reaches both; a launcher stopped otherwise takes its load tool with it.
        Thread stopChild = new Thread(process::destroy, "svyaz-bench-stop");
        Runtime.getRuntime().addShutdownHook(stopChild);
        try {
            return process.waitFor();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopChild);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run: nothing left to undo.
            }
        }
    }

    /**
     * The load tool's jar of the tree this launcher was built in: the launcher is
     * {@code app/target/svyaz.jar} (or {@code app/target/classes}).
     */
    static Path benchJar(Path launcher) {
        return launcher.toAbsolutePath().getParent().getParent().getParent().resolve(JAR_IN_TREE);
    }

    /** The load tool on this Java runtime with the flags ./svyaz gives it, then {@code bench} and its arguments. */
    static List<String> command(Path jar, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.add("-jar");
        command.add(jar.toString());
        command.add("bench");
        command.addAll(arguments);
        return command;
    }

    private static Path launcherLocation() throws URISyntaxException {
        return Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
