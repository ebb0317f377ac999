// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriverException;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.daemon.RpcConnection;
import org.svyaz.bench.daemon.Workspace;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.relay.Waits;

/**
 * {@code svyaz bench app}: the web app with a long chat list and a long conversation, in a real
 * Chromium, counting the browser's long tasks step by step (issue #15). The data is made the way
 * people make it, through processes of the {@code svyaz} launcher against the server:
 * <ol>
 *   <li>alice registers ({@code svyaz register}) and her daemon starts ({@code svyaz daemon});</li>
 *   <li>one multi-account daemon registers CHATS accounts and one more through its {@code register}
 *       method; each of the CHATS sends alice one message, then the one more sends her MESSAGES,
 *       all as {@code send} calls on one connection with a window of them outstanding (a JVM per
 *       account would take hours on two cores);</li>
 *   <li>once alice's daemon lists every chat with every message unread, the senders' daemon stops
 *       and {@code svyaz app --no-open} hands out a link to the app that alice's daemon serves.</li>
 * </ol>
 * Then Chromium opens the link and the page goes through the steps of {@link #measure}.
 */
public final class AppBenchmark {
    private static final Duration REGISTER_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration DAEMON_START_TIMEOUT = Duration.ofSeconds(60);
    /** A send retries a broken connection for up to 30 s; twice that without any answer is stuck. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofSeconds(5);
    /** After the step's end, the observer's last entries arrive within a frame or two. */
    private static final Duration SETTLE = Duration.ofMillis(500);
    /** The conversation counts as shown when nothing in it changed for this long. */
    private static final int QUIET_MILLIS = 1500;
    private static final Pattern APP_LINK = Pattern.compile("http://127\\.0\\.0\\.1:\\d+/#secret=[A-Za-z0-9_-]+");
    private static final String BIG_NICKNAME = "history";

    private final ServerUnderTest server;
    private final AppOptions options;
    private final Consumer<String> progress;

    public AppBenchmark(ServerUnderTest server, AppOptions options, Consumer<String> progress) {
        this.server = server;
        this.options = options;
        this.progress = progress;
    }

    /** Makes the data, measures, reports; the temporary directory is kept (and named) when the run fails. */
    public AppReport run() throws BenchException {
        return Workspace.run(options.launcher(), "svyaz-bench-app-", progress, this::runIn);
    }

    private AppReport runIn(Workspace workspace) throws BenchException, InterruptedException {
        long setupStart = System.nanoTime();
        String alice = workspace.register("alice", server.link().toString(), REGISTER_TIMEOUT);
        Process aliceDaemon = workspace.start("daemon-alice", List.of("-d", workspace.dataDir("alice").toString(),
                "-a", alice, "daemon", "--socket", workspace.socket("alice").toString()));
        RpcCalls aliceCalls = new RpcCalls("alice's daemon");
        try (RpcConnection aliceConnection = workspace.connect("alice", aliceDaemon, aliceCalls,
                DAEMON_START_TIMEOUT)) {
            aliceCalls.attach(aliceConnection);
            Process senders = workspace.start("daemon-senders", List.of("-d", workspace.dataDir("senders").toString(),
                    "daemon", "--socket", workspace.socket("senders").toString()));
            String big;
            RpcCalls senderCalls = new RpcCalls("the senders' daemon");
            try (RpcConnection senderConnection = workspace.connect("senders", senders, senderCalls,
                    DAEMON_START_TIMEOUT)) {
                senderCalls.attach(senderConnection);
                List<String> chatUsers = registerSenders(senderCalls);
                big = chatUsers.removeLast();
                sendToAlice(senderCalls, chatUsers, big, alice);
                waitUntilAliceHasAll(aliceCalls, big);
            }
            // The senders have done their part; they should not take the two cores from the browser.
            Workspace.stop(senders);
            Waits.quiet(aliceCalls::lastNotificationNanos);
            double setupSeconds = (System.nanoTime() - setupStart) / 1e9;
            progress.accept(String.format("set up in %.0f s: %d chats and %d messages in the big one, all at alice",
                    setupSeconds, options.chats() + 1, options.messages()));
            String link = appLink(workspace);
            try (AppPage page = AppPage.start(options.browser(), options.driver(),
                    workspace.directory().resolve("chromium").resolve("profile"), options.cpuProfiles())) {
                List<AppReport.Step> steps = measure(page, link, big, aliceCalls);
                List<String> notes = List.of(
                        "times are the page's own clock (performance.now()); long tasks are what Chromium's "
                                + "PerformanceObserver reports (main-thread tasks of 50 ms or more) that began in the step",
                        "calls are timed in the page from fetch() to the parsed answer, so they include the daemon's "
                                + "work, the loopback HTTP and the JSON parse");
                return new AppReport("app", options.chats(), options.messages(), server.description(),
                        page.browserVersion(), setupSeconds, steps, notes);
            } catch (WebDriverException e) {
                throw new BenchException("The browser failed: " + e.getMessage(), e);
            }
        }
    }

    /** The CHATS senders, then the big conversation's sender last; their usernames as the server gave them. */
    private List<String> registerSenders(RpcCalls senders) throws BenchException, InterruptedException {
        int count = options.chats() + 1;
        String[] usernames = new String[count];
        senders.windowed("registering senders", count, options.window(), i -> {
            ObjectNode params = RpcConnection.JSON.createObjectNode().put("server", server.link().toString())
                    .put("username", i < options.chats() ? AppOptions.chatNickname(i) : BIG_NICKNAME);
            return new RpcCalls.Request("register", params);
        }, result -> {
            String username = result.path("username").asText();
            String nickname = username.substring(0, Math.max(0, username.indexOf('.')));
            int index = nickname.equals(BIG_NICKNAME) ? options.chats() : Integer.parseInt(nickname.substring(4));
            usernames[index] = username;
        }, ANSWER_TIMEOUT, 100, progress);
        return new ArrayList<>(List.of(usernames));
    }

    private void sendToAlice(RpcCalls senders, List<String> chatUsers, String big, String alice)
            throws BenchException, InterruptedException {
        senders.windowed("one message from each chat", chatUsers.size(), options.window(),
                i -> send(chatUsers.get(i), alice, "Hello from " + chatUsers.get(i)),
                AppBenchmark::requireSuccess, ANSWER_TIMEOUT, 100, progress);
        senders.windowed("the big conversation", options.messages(), options.window(),
                i -> send(big, alice, String.format("Message %d of %d in a long conversation.", i + 1,
                        options.messages())),
                AppBenchmark::requireSuccess, ANSWER_TIMEOUT, 1000, progress);
    }

    private static RpcCalls.Request send(String from, String to, String text) {
        ObjectNode params = RpcConnection.JSON.createObjectNode().put("account", from).put("message", text);
        params.putArray("recipient").add(to);
        return new RpcCalls.Request("send", params);
    }

    /** A send counts only when its one recipient got it; anything else would leave the data short. */
    private static void requireSuccess(JsonNode result) {
        for (JsonNode one : result.path("results")) {
            if (!"SUCCESS".equals(one.path("type").asText())) {
                throw new IllegalStateException("a send failed: " + one);
            }
        }
    }

    /** Polls alice's listChats until every chat is there and the big one has every message, unread. */
    private void waitUntilAliceHasAll(RpcCalls alice, String big) throws BenchException, InterruptedException {
        int expectedChats = options.chats() + 1;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            JsonNode chats = alice.result("listChats", RpcConnection.JSON.createObjectNode(), CALL_TIMEOUT);
            int bigUnread = 0;
            for (JsonNode chat : chats) {
                if (big.equals(chat.path("recipient").asText())) {
                    bigUnread = chat.path("unread").asInt();
                }
            }
            progress.accept(String.format("alice has %d of %d chats, %d of %d messages of the big one",
                    chats.size(), expectedChats, bigUnread, options.messages()));
            if (chats.size() == expectedChats && bigUnread == options.messages()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new BenchException("Alice's daemon did not get every message within 10 minutes.", null);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** {@code svyaz app --no-open}, as alice runs it: her daemon serves the app and hands out a one-time link. */
    private String appLink(Workspace workspace) throws BenchException {
        Workspace.Finished done = workspace.run("app", REGISTER_TIMEOUT,
                List.of("-d", workspace.dataDir("alice").toString(), "app", "--no-open"));
        try {
            Matcher link = APP_LINK.matcher(Files.readString(done.out()));
            if (done.exitCode() == 0 && link.find()) {
                return link.group();
            }
        } catch (IOException e) {
            // Reported below.
        }
        throw new BenchException("svyaz app printed no link (exit " + done.exitCode() + "); see " + done.err() + ".",
                null);
    }

    /** The steps, one after the other, each measured on its own. */
    private List<AppReport.Step> measure(AppPage page, String link, String big, RpcCalls alice)
            throws BenchException, InterruptedException {
        int chats = options.chats() + 1;
        String chatItems = ".chat-list > li";
        List<AppReport.Step> steps = new ArrayList<>();

        progress.accept("(a) opening the app");
        page.startProfile();
        page.open(link);
        Object shown = page.step("waitForCount", chatItems, chats, 120_000);
        page.requireObserver();
        if (!(shown instanceof Number)) {
            throw new BenchException("The chat list did not show " + chats + " chats within 2 minutes; the page "
                    + "shows: " + page.visibleText(), null);
        }
        steps.add(page.measure("a. open → chat list shown", 0, AppPage.number(shown), chats + " chats", SETTLE));
        page.saveProfile("a-open");

        progress.accept("(b) scrolling the chat list down and up");
        page.startProfile();
        Map<String, Object> scrolled = map(page.step("scrollDownAndUp", 0.9, 2_000, 120_000));
        steps.add(page.measure("b. scroll chat list down and up", AppPage.number(scrolled.get("start")),
                AppPage.number(scrolled.get("end")), scrolled.get("steps") + " steps of 90% of the window, bottom "
                        + (Boolean.TRUE.equals(scrolled.get("reachedBottom")) ? "reached" : "NOT reached"), SETTLE));
        page.saveProfile("b-scroll-chats");

        progress.accept("(c) searching");
        String query = options.searchQuery();
        page.startProfile();
        double typing = page.now();
        page.type("#chat-search", query);
        Object found = page.step("waitForCount", chatItems, options.searchMatches(), 30_000);
        if (!(found instanceof Number)) {
            throw new BenchException("Searching for '" + query + "' did not leave " + options.searchMatches()
                    + " chats within 30 s.", null);
        }
        steps.add(page.measure("c. type search '" + query + "'", typing, AppPage.number(found),
                query.length() + " keys, " + options.searchMatches() + " chats match", SETTLE));
        page.saveProfile("c-search");
        page.startProfile();
        double clearing = page.now();
        page.type("#chat-search", Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        Object cleared = page.step("waitForCount", chatItems, chats, 30_000);
        if (!(cleared instanceof Number)) {
            throw new BenchException("Clearing the search did not bring back " + chats + " chats within 30 s.", null);
        }
        steps.add(page.measure("c. clear search", clearing, AppPage.number(cleared), chats + " chats again",
                SETTLE));
        page.saveProfile("c-clear-search");

        progress.accept("(d) opening the big conversation, every message unread");
        page.startProfile();
        steps.add(openConversation(page, big, "d. open conversation (all unread)"));
        page.saveProfile("d-open-unread");
        page.startProfile();
        double backing = page.now();
        page.click("button.back");
        Object back = page.step("waitForCount", chatItems, chats, 60_000);
        if (!(back instanceof Number)) {
            Object shownChats = page.script("return document.querySelectorAll(arguments[0]).length", chatItems);
            throw new BenchException("Back did not show the chat list within 60 s; the page shows " + shownChats
                    + " chats and: " + page.visibleText(), null);
        }
        steps.add(page.measure("back to the chat list", backing, AppPage.number(back), chats + " chats", SETTLE));
        page.saveProfile("d-back");
        markAllRead(alice, big);
        progress.accept("(d) opening the big conversation again, every message read");
        page.startProfile();
        steps.add(openConversation(page, big, "d. open conversation (all read)"));
        page.saveProfile("d-open-read");

        progress.accept("(e) scrolling back through " + options.messages() + " messages, a page at a time");
        int maxPages = options.messages() / 100 + 10;
        page.startProfile();
        Map<String, Object> history = map(page.step("scrollBackThroughHistory", maxPages, 60_000, 900_000));
        steps.add(scrolledThrough(page, history, "e. scroll back to the oldest", "e-scroll-back"));
        progress.accept("(f) scrolling forward to the newest message");
        page.startProfile();
        Map<String, Object> forward = map(page.step("scrollForwardToNewest", maxPages, 60_000, 900_000));
        steps.add(scrolledThrough(page, forward, "f. scroll forward to the newest", "f-scroll-forward"));
        return steps;
    }

    /**
     * The measurement of scrolling through the whole big conversation, one way: it must have shown
     * every message on the way and stopped at the end (the sentinel hidden).
     */
    private AppReport.Step scrolledThrough(AppPage page, Map<String, Object> result, String name, String profile)
            throws BenchException, InterruptedException {
        List<?> pages = (List<?>) result.get("pages");
        long messagesShown = (long) AppPage.number(result.get("messages"));
        long inPage = (long) AppPage.number(result.get("inPage"));
        String outcome = String.valueOf(result.get("outcome"));
        AppReport.Step step = page.measure(name, AppPage.number(result.get("start")), AppPage.number(result.get("end")),
                pages.size() + " pages, " + messagesShown + " messages shown on the way, " + inPage + " in the page at "
                        + "the end, " + outcome + pageTimes(pages), SETTLE);
        page.saveProfile(profile);
        if (messagesShown != options.messages() || !outcome.equals("done")) {
            throw new BenchException(name + ": " + messagesShown + " of " + options.messages()
                    + " messages shown (" + outcome + ").", null);
        }
        return step;
    }

    /** Opens the big conversation from the chat list and waits until it has stopped changing. */
    private static AppReport.Step openConversation(AppPage page, String big, String name)
            throws BenchException, InterruptedException {
        double start = page.now();
        page.click("button[data-chat='" + big + "']");
        Object quiet = page.step("waitForQuiet", ".messages .message", QUIET_MILLIS, 120_000);
        if (!(quiet instanceof Map<?, ?>) || !big.equals(page.text("h1"))) {
            throw new BenchException("The conversation with " + big + " did not show within 2 minutes; the page "
                    + "shows: " + page.visibleText(), null);
        }
        Map<String, Object> settled = map(quiet);
        long shown = (long) AppPage.number(settled.get("count"));
        return page.measure(name, start, AppPage.number(settled.get("at")), shown + " messages shown", SETTLE);
    }

    /** Marks every message of the big conversation read, as if alice had read it on another visit. */
    private static void markAllRead(RpcCalls alice, String big) throws BenchException, InterruptedException {
        JsonNode all = alice.result("listMessages", RpcConnection.JSON.createObjectNode().put("recipient", big),
                CALL_TIMEOUT);
        ObjectNode params = RpcConnection.JSON.createObjectNode().put("recipient", big);
        ArrayNode timestamps = params.putArray("targetTimestamp");
        for (JsonNode message : all) {
            if (!message.path("outgoing").asBoolean() && message.path("readAt").isNull()) {
                timestamps.add(message.path("timestamp").asLong());
            }
        }
        if (!timestamps.isEmpty()) {
            alice.result("markRead", params, CALL_TIMEOUT);
        }
    }

    /** The page-by-page times in brief: how long from scrolling to the sentinel to the page shown. */
    private static String pageTimes(List<?> pages) {
        if (pages.isEmpty()) {
            return "";
        }
        List<Double> times = new ArrayList<>();
        for (Object page : pages) {
            Map<String, Object> one = map(page);
            times.add(AppPage.number(one.get("shown")) - AppPage.number(one.get("asked")));
        }
        double first = times.getFirst();
        double last = times.getLast();
        times.sort(Double::compare);
        return String.format(java.util.Locale.ROOT, "; scroll to page shown: first %.0f, median %.0f, max %.0f, "
                + "last %.0f ms", first, times.get(times.size() / 2), times.getLast(), last);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalStateException("the page answered " + value);
    }
}
