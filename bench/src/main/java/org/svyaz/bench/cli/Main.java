// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The load tool's own jar ({@code bench/target/svyaz-bench.jar}): {@code svyaz bench …}, which
 * {@code ./svyaz bench …} starts, so the launcher's jar carries no benchmark library. Its arguments
 * are the launcher's, {@code bench} first, and it parses them as the launcher did, so help, errors
 * and exit codes read as before.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line ({@code bench SCENARIO …}) and returns its exit code (see {@link ExitCodes}). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new SvyazBench());
        // As the launcher parses: an option's value may be a subcommand's name.
        commandLine.setAllowSubcommandsAsOptionParameters(true);
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine failed = exception.getCommandLine();
            failed.getErr().println(exception.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(exception, failed.getErr());
            failed.getErr().println("See '" + failed.getCommandSpec().qualifiedName() + " --help'.");
            return ExitCodes.USER_ERROR;
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            int code = ExitCodes.of(exception);
            failed.getErr().println(ExitCodes.describe(exception));
            return code;
        });
        return commandLine.execute(args);
    }

    /** The launcher's root with only its {@code bench} subcommand, so names read {@code svyaz bench …}. */
    @Command(name = "svyaz", mixinStandardHelpOptions = true, version = "svyaz 0.1.0",
            description = "The Svyaz load tool; run it as ./svyaz bench.",
            subcommands = BenchCommand.class)
    static final class SvyazBench {
    }
}
