// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import picocli.CommandLine.Command;

/**
 * {@code svyaz bench}: load scenarios against a Svyaz server. The launcher lists a command of the
 * same name and description (app's BenchCommand) that hands its arguments to this jar: when the
 * description changes here, change it there too.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks: registered users over real TLS WebSockets against a real server, with every "
                + "message accounted for. See BENCHMARKS.md."},
        subcommands = {BenchRelayCommand.class, BenchDrainCommand.class, BenchIdleCommand.class,
                BenchStormCommand.class, BenchFanoutCommand.class, BenchDaemonCommand.class,
                BenchAppCommand.class})
final class BenchCommand {
}
