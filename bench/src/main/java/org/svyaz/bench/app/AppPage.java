// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Capabilities;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.daemon.RpcConnection;

/**
 * The app's page in Debian's Chromium, driven through its chromedriver (Selenium), headless, with a
 * fresh profile and nothing fetched from the internet. Before the page's own scripts run, DevTools
 * installs {@code probe.js}: a long-task observer, timing of the app's JSON-RPC calls, and the
 * steps below, which run inside the page so that their times come from the page's own clock.
 */
final class AppPage implements AutoCloseable {
    /** The longest a script of a step may run; each step's own deadline is shorter. */
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(20);

    /** Functions listed in each step's summary of its CPU profile. */
    private static final int PROFILE_SUMMARY_LINES = 25;

    private final ChromeDriver driver;
    /** Where each step's CPU profile goes; null: steps are not profiled. */
    private final Path cpuProfiles;

    private AppPage(ChromeDriver driver, Path cpuProfiles) {
        this.driver = driver;
        this.cpuProfiles = cpuProfiles;
    }

    /**
     * Starts Chromium with a profile in {@code profile} and the probe installed for every document;
     * with {@code cpuProfiles} (else null), each step's CPU profile is written there.
     */
    static AppPage start(Path browser, Path driverBinary, Path profile, Path cpuProfiles) throws BenchException {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1000,800", "--user-data-dir=" + profile, "--lang=en",
                // Only loopback: no sync, no component updates, no safe-browsing lookups.
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps",
                // performance.memory otherwise rounds the heap to coarse buckets.
                "--enable-precise-memory-info");
        options.setExperimentalOption("prefs", Map.of("intl.accept_languages", "en"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driverBinary.toFile())
                .usingAnyFreePort()
                .withLogFile(profile.resolveSibling("chromedriver.log").toFile())
                .build();
        ChromeDriver driver;
        try {
            Files.createDirectories(profile);
            // Selenium gives up on an answer after 3 minutes by default; scrolling back through a long
            // history is one script that runs longer.
            driver = new ChromeDriver(service, options, ClientConfig.defaultConfig().readTimeout(SCRIPT_TIMEOUT));
        } catch (IOException | WebDriverException e) {
            throw new BenchException("Cannot start Chromium (" + browser + ") through " + driverBinary + ": "
                    + e.getMessage(), e);
        }
        try {
            driver.manage().timeouts().scriptTimeout(SCRIPT_TIMEOUT);
            driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", probe()));
            if (cpuProfiles != null) {
                Files.createDirectories(cpuProfiles);
                driver.executeCdpCommand("Profiler.enable", Map.of());
            }
            return new AppPage(driver, cpuProfiles);
        } catch (IOException | WebDriverException e) {
            driver.quit();
            throw new BenchException("Cannot install the page probe: " + e.getMessage(), e);
        }
    }

    /** probe.js, next to this class. */
    static String probe() throws IOException {
        try (InputStream in = AppPage.class.getResourceAsStream("probe.js")) {
            if (in == null) {
                throw new IOException("probe.js is missing from the load tool's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    String browserVersion() {
        Capabilities capabilities = driver.getCapabilities();
        return capabilities.getBrowserName() + " " + capabilities.getBrowserVersion();
    }

    /** Loads {@code url}; returns once the document has loaded (the app's own work goes on after). */
    void open(String url) {
        driver.get(url);
    }

    /** Whether the long-task observer runs in the page; else why not. */
    void requireObserver() throws BenchException {
        Object observing = script("return window.svyazBench ? window.svyazBench.observing : null");
        if (!Boolean.TRUE.equals(observing)) {
            throw new BenchException("The long-task observer is not installed in the page ("
                    + script("return window.svyazBench ? window.svyazBench.observerError : 'no probe'") + ").", null);
        }
    }

    /** The page's clock now, in milliseconds since the document began. */
    double now() {
        return number(script("return svyazBench.now()"));
    }

    Object script(String source, Object... args) {
        return driver.executeScript(source, args);
    }

    /** Runs {@code svyazBench.STEP(ARGS)} in the page and returns what its promise resolves to. */
    Object step(String call, Object... args) {
        StringBuilder source = new StringBuilder("svyazBench.").append(call).append('(');
        for (int i = 0; i < args.length; i++) {
            source.append(i == 0 ? "" : ", ").append("arguments[").append(i).append(']');
        }
        source.append(").then(arguments[arguments.length - 1], e => arguments[arguments.length - 1]('error: ' + e))");
        return driver.executeAsyncScript(source.toString(), args);
    }

    /** Types into the element {@code css} as a person does, one key at a time. */
    void type(String css, CharSequence... keys) {
        driver.findElement(By.cssSelector(css)).sendKeys(keys);
    }

    void click(String css) {
        driver.findElement(By.cssSelector(css)).click();
    }

    String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    /** What the page shows, for an error message. */
    String visibleText() {
        try {
            String text = driver.findElement(By.tagName("body")).getText();
            return text.length() > 300 ? text.substring(0, 300) + "…" : text;
        } catch (WebDriverException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * The measurement of a step that ran from {@code from} to {@code to} on the page's clock: its
     * long tasks and calls. Waits {@code settle} first, so that the observer has handed over the
     * tasks of the step's last frames.
     */
    AppReport.Step measure(String name, double from, double to, String detail, Duration settle)
            throws InterruptedException {
        Thread.sleep(settle.toMillis());
        @SuppressWarnings("unchecked")
        Map<String, Object> between = (Map<String, Object>) script("return svyazBench.between(arguments[0], "
                + "arguments[1])", from, to);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) between.get("longTasks");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> calls = (List<Map<String, Object>>) between.get("calls");
        double total = 0;
        double longest = 0;
        for (Map<String, Object> task : tasks) {
            double duration = number(task.get("duration"));
            total += duration;
            longest = Math.max(longest, duration);
        }
        Object heap = between.get("heapBytes");
        return new AppReport.Step(name, to - from, tasks.size(), total, longest, byMethod(calls),
                heap == null ? null : number(heap) / (1024 * 1024), detail);
    }

    static List<AppReport.Calls> byMethod(List<Map<String, Object>> calls) {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        Map<String, Long> items = new LinkedHashMap<>();
        for (Map<String, Object> call : calls) {
            String method = String.valueOf(call.get("method"));
            times.computeIfAbsent(method, m -> new ArrayList<>())
                    .add(number(call.get("end")) - number(call.get("start")));
            Object count = call.get("items");
            items.merge(method, count == null ? 0L : (long) number(count), Long::sum);
        }
        List<AppReport.Calls> result = new ArrayList<>();
        times.forEach((method, list) -> {
            list.sort(Comparator.naturalOrder());
            double sum = list.stream().mapToDouble(Double::doubleValue).sum();
            result.add(new AppReport.Calls(method, list.size(), sum, list.get(list.size() / 2), list.getLast(),
                    items.get(method)));
        });
        return result;
    }

    /** Starts a step's CPU profile, when steps are profiled. */
    void startProfile() {
        if (cpuProfiles != null) {
            driver.executeCdpCommand("Profiler.start", Map.of());
        }
    }

    /**
     * Ends the step's CPU profile, when steps are profiled: writes it as {@code FILE.cpuprofile}
     * (DevTools' Performance panel opens it) and its summary by function as {@code FILE.txt}.
     */
    void saveProfile(String file) throws BenchException {
        if (cpuProfiles == null) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> profile = (Map<String, Object>) driver.executeCdpCommand("Profiler.stop", Map.of())
                .get("profile");
        try {
            RpcConnection.JSON.writeValue(cpuProfiles.resolve(file + ".cpuprofile").toFile(), profile);
            Files.writeString(cpuProfiles.resolve(file + ".txt"), CpuProfile.of(profile).summary(PROFILE_SUMMARY_LINES));
        } catch (IOException e) {
            throw new BenchException("Cannot write the CPU profile into " + cpuProfiles + ": " + e.getMessage(), e);
        }
    }

    /** Selenium hands numbers over as Long or Double. */
    static double number(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalStateException("expected a number from the page, got " + value);
    }

    /**
     * Quits the browser. When the driver's session is stuck (a script past Selenium's read timeout)
     * quit can leave Chromium running without its driver, so its process is ended by its id too.
     */
    @Override
    public void close() {
        Object pid = driver.getCapabilities().getCapability("goog:processID");
        try {
            driver.quit();
        } finally {
            if (pid instanceof Number number) {
                ProcessHandle.of(number.longValue()).ifPresent(ProcessHandle::destroy);
            }
        }
    }
}
