// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The web app in a real Chromium, against a real server, with bob as a bot on his own daemon. */
class AppBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern LINK = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/#secret=[A-Za-z0-9_-]+");

    @TempDir
    Path temp;

    private final List<Process> processes = new ArrayList<>();
    private final List<WebDriver> browsers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        browsers.forEach(WebDriver::quit);
        for (Process process : processes) {
            process.destroy();
            process.waitFor();
        }
    }

    /** Starts {@code svyaz app} on a data directory and returns the link it prints. */
    private String startApp(Path dataDir, String name) throws Exception {
        Process app = Cli.start(temp.resolve("logs"), name, "-d", dataDir.toString(), "app", "--no-open");
        processes.add(app);
        Path out = temp.resolve("logs").resolve(name + ".out");
        String[] link = new String[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            if (!app.isAlive()) {
                throw new IllegalStateException("svyaz app exited with " + app.exitValue());
            }
            Matcher found = LINK.matcher(Files.exists(out) ? Files.readString(out) : "");
            if (found.find()) {
                link[0] = found.group();
            }
            return link[0] != null;
        });
        return link[0];
    }

    private Path startBobsDaemon(String inviteLink, String username) throws Exception {
        Cli.Result registered = Cli.run("-d", temp.resolve(username).toString(), "register", "--server", inviteLink,
                "--username", username);
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Path socket = temp.resolve("sockets").resolve(username + ".sock");
        Process daemon = Cli.start(temp.resolve("logs"), "daemon-" + username, "-d", temp.resolve(username).toString(),
                "-a", username, "daemon", "--socket", socket.toString());
        processes.add(daemon);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            try (RpcClient probe = RpcClient.unix(socket)) {
                return probe.call("version", null).has("result");
            }
        });
        return socket;
    }

    @Test
    void aRussianBrowserGetsRussianWithRussianPluralForms() throws Exception {
        String link = startApp(temp.resolve("vera"), "app-vera");
        WebDriver browser = Chromium.start(temp.resolve("chromium-vera"), "ru");
        browsers.add(browser);
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(link);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("invite")));
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Добро пожаловать в Связь");
        assertThat(browser.findElement(By.cssSelector("form.first-run button[type=submit]")).getText())
                .isEqualTo("Создать учётную запись");
        @SuppressWarnings("unchecked")
        List<String> forms = (List<String>) ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "import('/js/i18n.js').then(i18n => done([1, 2, 5, 11, 21, 22, 25].map(n => i18n.tn('unread', n))));");
        assertThat(forms).containsExactly("1 непрочитанное сообщение", "2 непрочитанных сообщения",
                "5 непрочитанных сообщений", "11 непрочитанных сообщений", "21 непрочитанное сообщение",
                "22 непрочитанных сообщения", "25 непрочитанных сообщений");

        // Every key of one catalogue is in the other: no screen falls back to a key name.
        @SuppressWarnings("unchecked")
        List<String> missing = (List<String>) ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "Promise.all(['en', 'ru'].map(l => fetch('/i18n/' + l + '.json').then(r => r.json())))"
                        + ".then(([en, ru]) => done([...Object.keys(en).filter(k => !(k in ru)),"
                        + " ...Object.keys(ru).filter(k => !(k in en))]));");
        assertThat(missing).isEmpty();
    }

    @Test
    void aliceSignsUpInTheBrowserAndChatsLiveWithBob() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path bobSocket = startBobsDaemon(server.inviteLink(), "bob.22");
            String link = startApp(temp.resolve("alice"), "app-alice");
            WebDriver browser = Chromium.start(temp.resolve("chromium-alice"), "en");
            browsers.add(browser);
            WebDriverWait wait = new WebDriverWait(browser, WAIT);

            browser.get(link);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("invite")));
            assertThat(browser.getCurrentUrl()).as("the secret leaves the address bar").doesNotContain("secret");
            browser.findElement(By.id("invite")).sendKeys(server.inviteLink());
            browser.findElement(By.id("username")).sendKeys("alice");
            browser.findElement(By.id("name")).sendKeys("Alice");
            browser.findElement(By.cssSelector("form.first-run button[type=submit]")).click();
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Chats"));
            String me = browser.findElement(By.className("me")).getText();
            assertThat(me).matches("You are alice\\.\\d+");
            String alice = me.substring("You are ".length());

            browser.findElement(By.id("new-chat")).sendKeys("bob.22", Keys.ENTER);
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "bob.22"));
            browser.findElement(By.id("compose")).sendKeys("Привет из браузера", Keys.ENTER);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".message.outgoing .body"),
                    "Привет из браузера"));

            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                JsonNode heard = bob.nextText(WAIT);
                assertThat(heard).as("bob's bot heard nothing").isNotNull();
                JsonNode envelope = heard.get("params").get("envelope");
                assertThat(envelope.get("source").asText()).isEqualTo(alice);
                assertThat(envelope.get("dataMessage").get("message").asText()).isEqualTo("Привет из браузера");

                // Bob reads it and reacts: alice sees the read ticks and the reaction appear.
                long sentAt = envelope.get("timestamp").asLong();
                bob.result("sendReceipt", RpcClient.params().put("recipient", alice).put("type", "read")
                        .put("targetTimestamp", sentAt));
                bob.result("sendReaction", RpcClient.params().put("recipient", alice).put("emoji", "👍")
                        .put("targetAuthor", alice).put("targetTimestamp", sentAt));
                wait.until(ExpectedConditions.attributeToBe(By.cssSelector(".message.outgoing .tick"), "data-state",
                        "read"));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.outgoing .reaction"), "👍"));

                bob.result("sendTyping", RpcClient.params().put("recipient", alice));
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("typing")));
                bob.result("send", RpcClient.params().put("message", "hello back").put("recipient", alice));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.incoming .body"), "hello back"));
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.className("typing")));

                // Alice reacts in the browser; bob's bot gets the reaction, and a read receipt for his message.
                browser.findElement(By.cssSelector(".message.incoming .react")).click();
                wait.until(ExpectedConditions.elementToBeClickable(
                        By.cssSelector(".message.incoming .reaction-picker button[aria-label='❤️']"))).click();
                boolean reacted = false;
                boolean read = false;
                for (long end = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < end && !(reacted && read); ) {
                    JsonNode notification = bob.nextNotification(Duration.ofSeconds(1));
                    if (notification == null) {
                        continue;
                    }
                    JsonNode got = notification.get("params").get("envelope");
                    reacted |= got.path("dataMessage").path("reaction").path("emoji").asText().equals("❤️");
                    read |= got.path("receiptMessage").path("isRead").asBoolean();
                }
                assertThat(reacted).as("bob's bot got alice's reaction").isTrue();
                assertThat(read).as("bob's bot got alice's read receipt").isTrue();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.incoming .reaction"), "❤️"));
            }

            // A reload keeps the session (the cookie) and the conversation (stored on alice's device),
            // with its ticks and reactions.
            browser.navigate().refresh();
            wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[data-chat='bob.22']"))).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".message.incoming .body"),
                    "hello back"));
            assertThat(browser.findElement(By.cssSelector(".message.outgoing .body")).getText())
                    .isEqualTo("Привет из браузера");
            assertThat(browser.findElement(By.cssSelector(".message.outgoing .tick")).getAttribute("data-state"))
                    .isEqualTo("read");
            assertThat(browser.findElement(By.cssSelector(".message.outgoing .reaction")).getText()).isEqualTo("👍");
            assertThat(browser.findElement(By.cssSelector(".message.incoming .reaction")).getText()).isEqualTo("❤️");

            // Back in the chat list, what arrives counts as unread until the chat is opened.
            browser.findElement(By.className("back")).click();
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                bob.result("send", RpcClient.params().put("message", "one").put("recipient", alice));
                bob.result("send", RpcClient.params().put("message", "two").put("recipient", alice));
            }
            By unread = By.cssSelector("button[data-chat='bob.22'] .unread");
            wait.until(ExpectedConditions.textToBe(unread, "2"));
            assertThat(browser.findElement(unread).getAttribute("aria-label")).isEqualTo("2 unread messages");
            assertThat(browser.findElement(By.cssSelector("button[data-chat='bob.22'] .chat-preview")).getText())
                    .isEqualTo("two");
            browser.findElement(By.cssSelector("button[data-chat='bob.22']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"), "two"));
            browser.findElement(By.className("back")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("button[data-chat='bob.22']")));
            await().atMost(WAIT).untilAsserted(() -> {
                browser.navigate().refresh();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("button[data-chat='bob.22']")));
                assertThat(browser.findElements(unread)).as("opening the chat read it").isEmpty();
            });

            // Switching the language to Russian, from the chat list; the choice is kept.
            new Select(wait.until(ExpectedConditions.elementToBeClickable(
                    By.id("language")))).selectByValue("ru");
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Чаты"));
            browser.navigate().refresh();
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Чаты"));
            assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("ru");

            // The link works once, and the API without the session cookie gives nothing.
            WebDriver stranger = Chromium.start(temp.resolve("chromium-stranger"), "en");
            browsers.add(stranger);
            stranger.get(link);
            new WebDriverWait(stranger, WAIT).until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("[role=alert]")));
            assertThat(stranger.findElement(By.cssSelector("[role=alert]")).getText()).contains("used already");
            Matcher port = LINK.matcher(link);
            assertThat(port.find()).isTrue();
            HttpResponse<String> noSession = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port.group(1) + "/api/v1/rpc"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"listAccounts\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(noSession.statusCode()).isEqualTo(401);
        }
    }
}
