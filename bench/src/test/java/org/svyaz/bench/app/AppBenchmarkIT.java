// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.server.ServerProcess;

/**
 * {@code svyaz bench app} with small numbers against a spawned server, the real launcher's jar
 * (app/target/svyaz.jar, which this module's test dependency on app has Maven build first) and
 * Debian's Chromium. It checks that the measurement path works, never how fast anything is: every
 * step is there, the chat list and the conversation were shown in full, calls were timed, and a
 * main-thread block is seen as a long task.
 */
class AppBenchmarkIT {
    private static final Path APP_JAR = Path.of("..", "app", "target", "svyaz.jar").toAbsolutePath().normalize();
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path temp;

    @Test
    void everyStepIsMeasuredWithTheWholeChatListAndConversationShown() throws Exception {
        AppOptions options = new AppOptions(20, 450, 8, launcher(), CHROMIUM, CHROMEDRIVER, null);
        AppReport report;
        try (ServerProcess server = ServerProcess.spawn(temp.resolve("server"), Duration.ofSeconds(60))) {
            report = new AppBenchmark(new ServerUnderTest(server.link(), OptionalLong.of(server.pid()), "spawned"),
                    options, line -> System.err.println("bench: " + line)).run();
        }

        assertThat(report.steps()).extracting(AppReport.Step::name).containsExactly(
                "a. open → chat list shown", "b. scroll chat list down and up", "c. type search 'chat001'",
                "c. clear search", "d. open conversation (all unread)", "back to the chat list",
                "d. open conversation (all read)", "e. scroll back to the oldest", "f. scroll forward to the newest");
        AppReport.Step open = report.steps().get(0);
        assertThat(open.detail()).isEqualTo("21 chats");
        assertThat(open.calls()).anySatisfy(calls -> {
            assertThat(calls.method()).isEqualTo("listChats");
            assertThat(calls.items()).isEqualTo(21);
        });
        assertThat(report.steps().get(1).detail()).contains("bottom reached");
        assertThat(report.steps().get(2).detail()).isEqualTo("7 keys, 10 chats match");
        assertThat(report.steps().get(6).detail()).isEqualTo("100 messages shown");
        // The app keeps three pages of 100 in the page: scrolling back through 450 drops the newest,
        // scrolling forward again brings them back and drops the oldest.
        AppReport.Step history = report.steps().get(7);
        assertThat(history.detail()).startsWith("4 pages, 450 messages shown on the way, 300 in the page at the end, "
                + "done");
        assertThat(history.calls()).anySatisfy(calls -> {
            assertThat(calls.method()).isEqualTo("listMessages");
            assertThat(calls.items()).isEqualTo(350);
        });
        AppReport.Step forward = report.steps().get(8);
        assertThat(forward.detail()).startsWith("2 pages, 450 messages shown on the way, 300 in the page at the end, "
                + "done");
        assertThat(forward.calls()).as("newer messages come from memory").isEmpty();
        assertThat(report.steps()).allSatisfy(step -> {
            assertThat(step.wallMillis()).isPositive();
            assertThat(step.heapMiB()).isPositive();
        });
    }

    @Test
    void aBlockedMainThreadCountsAsALongTaskOfTheStepItFallsIn() throws Exception {
        try (AppPage page = AppPage.start(CHROMIUM, CHROMEDRIVER, temp.resolve("profile"), null)) {
            page.open("data:text/html,<p>nothing</p>");
            page.requireObserver();
            double from = page.now();
            // In a task of the page's own: work done inside a WebDriver script call is not reported as
            // a long task, while the app's work (event handlers, timers) is.
            page.script("window.busyDone = false; setTimeout(() => {"
                    + " const until = performance.now() + 120; while (performance.now() < until) {}"
                    + " window.busyDone = true; }, 0);");
            for (int i = 0; i < 100 && !Boolean.TRUE.equals(page.script("return window.busyDone;")); i++) {
                Thread.sleep(50);
            }
            assertThat(page.script("return window.busyDone;")).isEqualTo(true);
            double to = page.now();
            AppReport.Step step = page.measure("blocked", from, to, "", Duration.ofMillis(500));

            assertThat(step.longTasks()).isEqualTo(1);
            assertThat(step.longestTaskMillis()).isGreaterThanOrEqualTo(120);
            // Nothing before the step counts in it.
            assertThat(page.measure("after", to + 1, page.now(), "", Duration.ZERO).longTasks()).isZero();
        }
    }

    @Test
    void aStepsCpuProfileNamesTheFunctionThatTookItsTime() throws Exception {
        Path profiles = temp.resolve("cpu");
        try (AppPage page = AppPage.start(CHROMIUM, CHROMEDRIVER, temp.resolve("profile"), profiles)) {
            page.open("data:text/html,<p>nothing</p>");
            page.startProfile();
            page.script("window.busyDone = false; setTimeout(function spinForAWhile() {"
                    + " const until = performance.now() + 300; while (performance.now() < until) {}"
                    + " window.busyDone = true; }, 0);");
            for (int i = 0; i < 100 && !Boolean.TRUE.equals(page.script("return window.busyDone;")); i++) {
                Thread.sleep(50);
            }
            page.saveProfile("busy");
        }

        assertThat(profiles.resolve("busy.cpuprofile")).isNotEmptyFile();
        String summary = Files.readString(profiles.resolve("busy.txt"));
        // The function that spun is the one with the most time of its own, most of its 300 ms.
        String first = summary.lines().skip(2).findFirst().orElseThrow();
        assertThat(first).contains("spinForAWhile");
        assertThat(Double.parseDouble(first.trim().split("\\s+")[0])).isGreaterThan(200);
    }

    @Test
    void callsAreGroupedByMethodWithWhatTheirAnswersHeld() {
        List<AppReport.Calls> calls = AppPage.byMethod(List.of(
                Map.of("method", "listMessages", "start", 0L, "end", 30.0, "items", 100L),
                Map.of("method", "listChats", "start", 5L, "end", 10L, "items", 21L),
                Map.of("method", "listMessages", "start", 40L, "end", 50.0, "items", 100L),
                Map.of("method", "listMessages", "start", 60L, "end", 80.0, "items", 0L)));

        assertThat(calls).containsExactly(
                new AppReport.Calls("listMessages", 3, 60, 20, 30, 200),
                new AppReport.Calls("listChats", 1, 5, 5, 5, 21));
    }

    /** The launcher as two lines that run app/target/svyaz.jar, so no test builds anything itself. */
    private Path launcher() throws Exception {
        if (!Files.isRegularFile(APP_JAR)) {
            throw new IllegalStateException(APP_JAR + " is missing: build app first (bench's test dependency on "
                    + "it makes Maven do that in a reactor build)");
        }
        Path script = temp.resolve("svyaz");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String unsafe = Runtime.version().feature() >= 24 ? " --sun-misc-unsafe-memory-access=allow" : "";
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' --enable-native-access=ALL-UNNAMED" + unsafe
                + " -jar '" + APP_JAR + "' \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }
}
