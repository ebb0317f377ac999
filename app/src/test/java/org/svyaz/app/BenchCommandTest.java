// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The launcher's {@code bench}: listed in its help as before, and handing everything after it,
 * help options included, to the load tool's jar of the same tree (module bench tests that jar).
 */
class BenchCommandTest {
    @Test
    void theLauncherStillListsBenchInItsHelp() {
        PrintStream realOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("--help");
        } finally {
            System.setOut(realOut);
        }

        assertThat(code).isEqualTo(ExitCodes.OK);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .containsPattern("\\n  bench +Benchmarks: registered users over real TLS WebSockets");
    }

    @Test
    void everythingAfterBenchGoesToTheLoadToolAsItIs() {
        List<String> after = List.of("relay", "--spawn", "--users", "2", "--e2e", "-h", "--json");
        List<String> args = new ArrayList<>(List.of("-d", "/tmp/accounts", "bench"));
        args.addAll(after);
        CommandLine.ParseResult parsed = new CommandLine(new SvyazCommand()).parseArgs(args.toArray(String[]::new));
        BenchCommand bench = (BenchCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(bench.arguments).isEqualTo(after);

        Path jar = Path.of("/src/bench/target/svyaz-bench.jar");
        List<String> command = BenchCommand.command(jar, bench.arguments);
        assertThat(command).contains("--enable-native-access=ALL-UNNAMED");
        assertThat(command.subList(command.indexOf("-jar"), command.size()))
                .containsExactly("-jar", jar.toString(), "bench", "relay", "--spawn", "--users", "2", "--e2e", "-h",
                        "--json");
    }

    @Test
    void theLoadToolIsTheOneBuiltInTheLaunchersTree() {
        assertThat(BenchCommand.benchJar(Path.of("/src/app/target/svyaz.jar")))
                .isEqualTo(Path.of("/src/bench/target/svyaz-bench.jar"));
        assertThat(BenchCommand.benchJar(Path.of("/src/app/target/classes")))
                .isEqualTo(Path.of("/src/bench/target/svyaz-bench.jar"));
    }
}
