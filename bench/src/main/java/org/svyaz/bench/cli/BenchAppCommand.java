// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.svyaz.bench.app.AppBenchmark;
import org.svyaz.bench.app.AppOptions;
import org.svyaz.bench.app.AppReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "app", mixinStandardHelpOptions = true,
        description = {"The web app with a long chat list and a long conversation (issue #15), in Debian's Chromium: "
                + "alice's daemon gets one message from each of CHATS accounts and MESSAGES from one more, all "
                + "registered and sent through one multi-account 'svyaz daemon'. Then 'svyaz app --no-open' gives "
                + "the link, and the page opens the chat list, scrolls it, searches, opens the big conversation "
                + "(unread, then read) and scrolls back to its first message. Reports for each step its time, the "
                + "browser's long tasks (count, total, longest), the app's calls and the JS heap.",
                "Every account and daemon is a 'svyaz' process in a temporary directory, deleted afterwards (kept "
                        + "with the logs when the run fails). Progress goes to stderr, the report to stdout. "
                        + "Svyaz only: --mqtt and --xmpp are refused."})
final class BenchAppCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchTarget target;

    @Option(names = "--chats", paramLabel = "N", defaultValue = "1000",
            description = "Accounts that send alice one message each (default ${DEFAULT-VALUE}); her chat list has "
                    + "one more, the big conversation.")
    int chats;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "10000",
            description = "Messages in the big conversation (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16",
            description = "Registrations and sends unanswered at most on the senders' daemon connection "
                    + "(default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--svyaz", paramLabel = "PATH",
            description = "The svyaz launcher to run (default: ./svyaz of the source tree this tool was built in).")
    Path launcher;

    @Option(names = "--chromium", paramLabel = "PATH", defaultValue = "/usr/bin/chromium",
            description = "The browser (default ${DEFAULT-VALUE}).")
    Path browser;

    @Option(names = "--chromedriver", paramLabel = "PATH", defaultValue = "/usr/bin/chromedriver",
            description = "Its driver (default ${DEFAULT-VALUE}).")
    Path driver;

    @Option(names = "--cpu-profiles", paramLabel = "DIR",
            description = "Write each step's CPU profile of the page into DIR: STEP.cpuprofile (DevTools' "
                    + "Performance panel opens it) and STEP.txt, the functions that took the most time. The "
                    + "profiler's own sampling costs a little, so long tasks come out a little longer.")
    Path cpuProfiles;

    @Mixin
    BenchOutput output;

    @Override
    public Integer call() throws Exception {
        AppOptions options;
        try {
            options = new AppOptions(chats, messages, window,
                    launcher != null ? launcher.toAbsolutePath() : BenchDaemonCommand.launcherInTree(), browser,
                    driver, cpuProfiles == null ? null : cpuProfiles.toAbsolutePath());
        } catch (IllegalArgumentException e) {
            throw new CommandLineException(e.getMessage() + ".");
        }
        PrintWriter err = spec.commandLine().getErr();
        AppReport report = target.runSvyaz(server -> new AppBenchmark(server, options,
                        line -> BenchTarget.progress(err, line)).run(),
                "The app scenario runs against Svyaz only (--spawn or --server): it measures svyaz's own web app.",
                err);
        output.print(spec.commandLine().getOut(), report, report.table());
        return ExitCodes.OK;
    }
}
