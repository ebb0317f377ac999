// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.WebDriver;

/**
 * The browsers and processes one browser test started. {@link #end} keeps what each browser showed
 * last in {@code target/browser-pages/} (for whoever reads a failure), then quits and stops them all.
 */
final class BrowserTestRun {
    final List<Process> processes = new ArrayList<>();
    final List<WebDriver> browsers = new ArrayList<>();

    void end(TestInfo test) throws Exception {
        Path pages = Path.of("target", "browser-pages");
        Files.createDirectories(pages);
        for (int i = 0; i < browsers.size(); i++) {
            String name = test.getTestMethod().map(m -> m.getName()).orElse("test") + "-" + i;
            try {
                Files.writeString(pages.resolve(name + ".html"), browsers.get(i).getPageSource());
            } catch (RuntimeException e) {
                Files.writeString(pages.resolve(name + ".html"), "no page: " + e);
            }
        }
        browsers.forEach(WebDriver::quit);
        for (Process process : processes) {
            process.destroy();
            process.waitFor();
        }
    }
}
