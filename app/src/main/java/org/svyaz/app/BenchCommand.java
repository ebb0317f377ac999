// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import picocli.CommandLine.Command;

/** {@code svyaz bench}: load scenarios against a Svyaz server. The work is in module {@code bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks: registered users over real TLS WebSockets against a real server, with every "
                + "message accounted for. See BENCHMARKS.md."},
        subcommands = {BenchRelayCommand.class, BenchDrainCommand.class, BenchIdleCommand.class,
                BenchStormCommand.class, BenchFanoutCommand.class})
final class BenchCommand {
}
