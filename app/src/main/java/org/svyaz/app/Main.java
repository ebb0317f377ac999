// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import picocli.CommandLine;

/** The {@code svyaz} launcher. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code (see {@link ExitCodes}). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new SvyazCommand());
        // 'server --registration invite' must not be read as the 'server invite' subcommand.
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
        // With --help anywhere picocli would print help and exit 0 even after an unknown word, so that
        // 'svyaz nosuch --help' looked like success: an unknown command is an error whatever follows it.
        commandLine.setExecutionStrategy(parseResult -> {
            for (CommandLine.ParseResult level = parseResult; level != null;
                 level = level.subcommand()) {
                if (!level.unmatched().isEmpty()) {
                    CommandLine failed = level.commandSpec().commandLine();
                    failed.getErr().println("Unknown command or argument: " + String.join(" ", level.unmatched()));
                    failed.getErr().println("See '" + failed.getCommandSpec().qualifiedName() + " --help'.");
                    return ExitCodes.USER_ERROR;
                }
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return commandLine.execute(args);
    }
}
