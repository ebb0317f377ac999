// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.pagefactory.ByChained;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The web app in a real Chromium, against a real server, with bob as a bot on his own daemon. */
class AppBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern LINK = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/#secret=[A-Za-z0-9_-]+(&link=\\S+)?");

    @TempDir
    Path temp;

    private final BrowserTestRun run = new BrowserTestRun();
    private final List<Process> processes = run.processes;
    /** The svyaz app processes by the name startApp was given. */
    private final Map<String, Process> apps = new HashMap<>();
    private final List<WebDriver> browsers = run.browsers;

    @AfterEach
    void stop(TestInfo test) throws Exception {
        run.end(test);
    }

    /**
     * A wait that looks again when the element it holds was replaced: the app re-renders a message
     * when a receipt or reaction changes it, which can happen between finding and reading it.
     */
    private static WebDriverWait waitFor(WebDriver browser, Duration timeout) {
        WebDriverWait wait = new WebDriverWait(browser, timeout);
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static WebDriverWait waitFor(WebDriver browser) {
        return waitFor(browser, WAIT);
    }

    /** Starts {@code svyaz app} on a data directory and returns the link it prints. */
    /** {@code svyazLink}: a svyaz:// link to open the app with, as a click on one does; none when empty. */
    private String startApp(Path dataDir, String name, String... svyazLink) throws Exception {
        WebApp app = WebApp.start(temp.resolve("logs"), dataDir, name, svyazLink);
        processes.add(app.process());
        apps.put(name, app.process());
        return app.link();
    }

    private Path startBotDaemon(String inviteLink, String username) throws Exception {
        BotDaemon bot = BotDaemon.start(temp, inviteLink, username);
        processes.add(bot.process());
        return bot.socket();
    }

    /**
     * Takes the screen's picture, and checks that every control a user can reach on it has a name a
     * screen reader says: its text, a label, aria-label or a title.
     */
    /**
     * Whether the element at {@code xpath} is wholly on screen: inside the window and inside the part of
     * every scrolled box around it that shows, so a user sees it without scrolling.
     */
    private static boolean onScreen(WebDriver browser, String xpath) {
        return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("""
                const element = document.evaluate(arguments[0], document, null,
                  XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
                if (!element) return false;
                const rect = element.getBoundingClientRect();
                let inside = rect.height > 0 && rect.top >= 0 && rect.bottom <= window.innerHeight;
                for (let box = element.parentElement; box && inside; box = box.parentElement) {
                  if (getComputedStyle(box).overflowY !== 'visible') {
                    const shown = box.getBoundingClientRect();
                    inside = rect.top >= shown.top - 1 && rect.bottom <= shown.bottom + 1;
                  }
                }
                return inside;""", xpath));
    }

    private static void screen(WebDriver browser, String name) throws Exception {
        Chromium.screenshot(browser, name);
        assertEveryControlIsLabelled(browser, name);
    }

    @SuppressWarnings("unchecked")
    private static void assertEveryControlIsLabelled(WebDriver browser, String screen) {
        List<String> unnamed = (List<String>) ((JavascriptExecutor) browser).executeScript("""
                const named = c => (c.getAttribute('aria-label') || c.title || '').trim()
                  || (c.labels && [...c.labels].some(l => l.textContent.trim()))
                  || (c.getAttribute('aria-labelledby') || '').split(' ').some(id => document.getElementById(id))
                  || (['BUTTON', 'SUMMARY', 'A'].includes(c.tagName) && c.textContent.trim());
                return [...document.querySelectorAll('button, input, select, textarea, summary, a[href]')]
                  .filter(c => c.getClientRects().length > 0 || (c.type === 'file' && c.labels?.length))
                  .filter(c => !named(c))
                  .map(c => c.outerHTML.slice(0, 120));""");
        assertThat(unnamed).as("controls without a name on " + screen).isEmpty();
    }

    /** Signs up through the first-run screen and returns the username the server gave. */
    static String signUp(WebDriver browser, WebDriverWait wait, String link, String invite, String nickname) {
        browser.get(link);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("invite")));
        browser.findElement(By.id("invite")).sendKeys(invite);
        browser.findElement(By.id("username")).sendKeys(nickname);
        browser.findElement(By.cssSelector("form.first-run button[type=submit]")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Chats"));
        return browser.findElement(By.className("me")).getText().substring("You are ".length());
    }

    /** The next notification whose envelope has {@code field} (e.g. "dataMessage/quote"), or fails. */
    private static JsonNode nextWith(RpcClient bot, String pointer) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = bot.nextNotification(Duration.ofSeconds(1));
            if (notification != null && !notification.get("params").get("envelope").at(pointer).isMissingNode()) {
                return notification.get("params").get("envelope");
            }
        }
        throw new AssertionError("no notification with " + pointer + " in " + WAIT);
    }

    @Test
    void repliesEditsDeletesAndAChangedSafetyNumberInTheBrowser() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path bobSocket = startBotDaemon(server.inviteLink(), "bob.33");
            String link = startApp(temp.resolve("alice"), "app-alice");
            WebDriver browser = Chromium.start(temp.resolve("chromium-alice"), "en");
            browsers.add(browser);
            WebDriverWait wait = waitFor(browser);
            String alice = signUp(browser, wait, link, server.inviteLink(), "alice");
            browser.findElement(By.id("new-chat")).sendKeys("bob.33", Keys.ENTER);
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "bob.33"));

            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                browser.findElement(By.id("compose")).sendKeys("first", Keys.ENTER);
                long first = nextWith(bob, "/dataMessage/message").get("timestamp").asLong();

                // Bob replies quoting it; alice sees the quote, and replies to his reply in the browser.
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "answer")
                        .put("quoteTimestamp", first).put("quoteAuthor", alice));
                By answer = By.xpath("//li[contains(@class,'incoming')][p[@class='body' and text()='answer']]");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.incoming .quote"), "first"));
                long answerAt = Long.parseLong(browser.findElement(answer).getAttribute("data-timestamp"));
                browser.findElement(answer).findElement(By.className("reply")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("composing")));
                browser.findElement(By.id("compose")).sendKeys("re", Keys.ENTER);
                JsonNode reply = nextWith(bob, "/dataMessage/quote");
                assertThat(reply.get("dataMessage").get("message").asText()).isEqualTo("re");
                assertThat(reply.get("dataMessage").get("quote").get("id").asLong()).isEqualTo(answerAt);

                // Alice edits her first message; bob gets the edit and alice's bubble says so.
                By firstBubble = By.cssSelector(".message.outgoing[data-timestamp='" + first + "']");
                browser.findElement(firstBubble).findElement(By.className("edit")).click();
                assertThat(browser.findElement(By.id("compose")).getAttribute("value")).isEqualTo("first");
                browser.findElement(By.id("compose")).sendKeys(", edited", Keys.ENTER);
                JsonNode edit = nextWith(bob, "/editMessage");
                assertThat(edit.get("editMessage").get("targetSentTimestamp").asLong()).isEqualTo(first);
                assertThat(edit.get("editMessage").get("dataMessage").get("message").asText()).isEqualTo("first, edited");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(firstBubble, "edited"));
                assertThat(browser.findElement(firstBubble).findElement(By.className("body")).getText())
                        .isEqualTo("first, edited");

                // Alice deletes her reply for everyone.
                long reAt = reply.get("timestamp").asLong();
                By reBubble = By.cssSelector(".message.outgoing[data-timestamp='" + reAt + "']");
                browser.findElement(reBubble).findElement(By.className("delete")).click();
                wait.until(ExpectedConditions.alertIsPresent()).accept();
                JsonNode deleted = nextWith(bob, "/dataMessage/remoteDelete");
                assertThat(deleted.get("dataMessage").get("remoteDelete").get("timestamp").asLong()).isEqualTo(reAt);
                wait.until(ExpectedConditions.textToBePresentInElementLocated(reBubble, "This message was deleted."));
                assertThat(browser.findElements(By.className("date-separator"))).isNotEmpty();

                assertThat(browser.findElement(By.className("key-change")).isDisplayed()).isFalse();
                // No reaction picker is open (each is made when its message's ☺ is first pressed).
                assertThat(browser.findElements(By.className("reaction-picker")))
                        .noneMatch(WebElement::isDisplayed);

                // A picture, picked in the browser, reaches bob; bob's file comes back shown as a picture.
                Path picture = temp.resolve("picture.png");
                BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                image.setRGB(3, 3, 0xff0000);
                ImageIO.write(image, "png", picture.toFile());
                browser.findElement(By.id("attach")).sendKeys(picture.toString());
                JsonNode withFile = nextWith(bob, "/dataMessage/attachments");
                JsonNode file = withFile.get("dataMessage").get("attachments").get(0);
                assertThat(file.get("filename").asText()).isEqualTo("picture.png");
                assertThat(Files.readAllBytes(Path.of(file.get("storedFilename").asText())))
                        .isEqualTo(Files.readAllBytes(picture));
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".message.outgoing img.picture")));
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "mine")
                        .put("attachment", picture.toString()));
                By received = By.cssSelector(".message.incoming figure.picture img");
                wait.until(ExpectedConditions.visibilityOfElementLocated(received));
                wait.until(driver -> (Boolean) ((JavascriptExecutor) driver).executeScript(
                        "const img = document.querySelector('.message.incoming figure.picture img');"
                                + "return img.complete && img.naturalWidth === 16;"));
                assertThat(browser.findElement(By.cssSelector(".message.incoming figure.picture a.file")).getText())
                        .contains("picture.png");

                // A larger file from bob: while alice's daemon downloads it, the page says how far it got.
                ((JavascriptExecutor) browser).executeScript("""
                        window.transferLines = [];
                        new MutationObserver(() => window.transferLines.push(
                            document.getElementById('transfers').hidden ? '' : document.getElementById('transfers').textContent))
                          .observe(document.getElementById('transfers'),
                            {childList: true, characterData: true, subtree: true, attributes: true});""");
                byte[] bigBytes = new byte[6 * 1024 * 1024];
                new java.util.Random(7).nextBytes(bigBytes);
                Path big = Files.write(temp.resolve("big.bin"), bigBytes);
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "the big one")
                        .put("attachment", big.toString()));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"), "big.bin"));
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("transfers")));
                @SuppressWarnings("unchecked")
                List<String> lines = (List<String>) ((JavascriptExecutor) browser).executeScript(
                        "return window.transferLines;");
                assertThat(lines).anySatisfy(line -> assertThat(line).matches("Receiving big\\.bin: \\d+ %"));

                // A voice message recorded in the browser (Chromium's fake microphone) reaches bob as a
                // voice note in Opus; his comes back and plays inline with its length.
                browser.findElement(By.className("record")).click();
                wait.until(ExpectedConditions.attributeToBe(By.className("record"), "aria-pressed", "true"));
                wait.until(ExpectedConditions.textMatches(By.className("recording-time"), Pattern.compile("0:0[2-9]")));
                browser.findElement(By.className("record")).click();
                JsonNode withVoice = nextWith(bob, "/dataMessage/attachments");
                JsonNode voice = withVoice.get("dataMessage").get("attachments").get(0);
                assertThat(voice.get("voiceNote").asBoolean()).isTrue();
                assertThat(voice.get("contentType").asText()).isEqualTo("audio/webm");
                byte[] recorded = Files.readAllBytes(Path.of(voice.get("storedFilename").asText()));
                assertThat(recorded).as("WebM").startsWith((byte) 0x1A, (byte) 0x45, (byte) 0xDF, (byte) 0xA3);
                assertThat(new String(recorded, StandardCharsets.ISO_8859_1)).contains("A_OPUS");
                By myVoiceLength = By.cssSelector(".message.outgoing .voice-note .voice-length");
                wait.until(ExpectedConditions.textMatches(myVoiceLength, Pattern.compile("0:0[1-9]")));
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "")
                        .put("attachment", voice.get("storedFilename").asText()).put("voiceNote", true));
                By bobsVoiceLength = By.cssSelector(".message.incoming .voice-note .voice-length");
                wait.until(ExpectedConditions.textMatches(bobsVoiceLength, Pattern.compile("0:0[1-9]")));
                assertThat(browser.findElement(By.cssSelector(".message.incoming .voice-note audio"))
                        .getAttribute("src")).contains("/api/v1/attachments/");
                // Leaving while recording throws the recording away and lets the microphone go.
                ((JavascriptExecutor) browser).executeScript("""
                        const media = navigator.mediaDevices;
                        const getUserMedia = media.getUserMedia.bind(media);
                        window.recordedStreams = [];
                        media.getUserMedia = async constraints => {
                          const stream = await getUserMedia(constraints);
                          window.recordedStreams.push(stream);
                          return stream;
                        };""");
                browser.findElement(By.className("record")).click();
                wait.until(ExpectedConditions.attributeToBe(By.className("record"), "aria-pressed", "true"));
                // Reopened, the conversation still has both: alice's own recording is kept on her device.
                browser.findElement(By.className("back")).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[data-chat='bob.33']")));
                assertThat(((JavascriptExecutor) browser).executeScript("return window.recordedStreams.map("
                        + "stream => stream.getTracks().map(track => track.readyState).join())"))
                        .as("the microphone's tracks after leaving").isEqualTo(List.of("ended"));
                browser.findElement(By.cssSelector("button[data-chat='bob.33']")).click();
                wait.until(ExpectedConditions.textMatches(myVoiceLength, Pattern.compile("0:0[1-9]")));
                wait.until(ExpectedConditions.textMatches(bobsVoiceLength, Pattern.compile("0:0[1-9]")));

                // A disappearing-message timer set by bob shows in alice's conversation, and hers reaches him.
                bob.result("updateContact", RpcClient.params().put("recipient", alice).put("expiration", 86400));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("system-note"),
                        "bob.33 set disappearing messages to 1 day."));
                assertThat(new Select(browser.findElement(By.id("disappearing"))).getFirstSelectedOption().getText())
                        .isEqualTo("1 day");
                new Select(browser.findElement(By.id("disappearing"))).selectByValue("3600");
                JsonNode timerUpdate = nextWith(bob, "/dataMessage/isExpirationUpdate");
                for (int i = 0; i < 5 && !timerUpdate.get("dataMessage").get("isExpirationUpdate").asBoolean(); i++) {
                    timerUpdate = nextWith(bob, "/dataMessage/isExpirationUpdate");
                }
                assertThat(timerUpdate.get("dataMessage").get("expiresInSeconds").asInt()).isEqualTo(3600);
                new Select(browser.findElement(By.id("disappearing"))).selectByValue("0");

                // Bob's identity changes: alice's next message waits until she accepts the new number.
                bob.result("resetIdentity", RpcClient.params().put("yes", true));
                browser.findElement(By.id("compose")).sendKeys("after the change", Keys.ENTER);
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("key-change")));
                assertThat(browser.findElement(By.cssSelector("form.compose button[type=submit]")).isEnabled())
                        .as("sending waits").isFalse();
                assertThat(browser.findElement(By.id("compose")).getAttribute("value")).isEqualTo("after the change");
                screen(browser, "safety-number-changed");
                browser.findElement(By.className("accept-key")).click();
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.className("key-change")));
                browser.findElement(By.id("compose")).sendKeys(Keys.ENTER);
                // By its text: the timer set back to off just before may reach bob first, or fail on his new key.
                nextText(bob, "after the change");

                // The safety number, the same digits bob sees, as digits and QR; marked verified.
                browser.findElement(By.className("contact-info")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("safety-number")));
                String digits = browser.findElement(By.className("safety-number")).getText().replaceAll("\\s", "");
                String bobsView = bob.result("listIdentities", RpcClient.params().put("recipient", alice))
                        .get(0).get("safetyNumber").asText();
                assertThat(digits).hasSize(60).isEqualTo(bobsView);
                assertThat(browser.findElement(By.cssSelector("canvas.qr")).getAttribute("width")).isNotEqualTo("0");
                browser.findElement(By.className("verify")).click();
                wait.until(ExpectedConditions.attributeToBe(By.className("trust"), "data-trust", "TRUSTED_VERIFIED"));
                screen(browser, "safety-number");
            }
        }
    }

    @Test
    void settingsAndTheConnectionScreen() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path bobSocket = startBotDaemon(server.inviteLink(), "bob.44");
            String link = startApp(temp.resolve("alice"), "app-alice");
            WebDriver browser = Chromium.start(temp.resolve("chromium-alice"), "en");
            browsers.add(browser);
            WebDriverWait wait = waitFor(browser);
            String alice = signUp(browser, wait, link, server.inviteLink(), "alice");

            // Read receipts off: what alice reads drops from her unread count, and bob is not told.
            wait.until(ExpectedConditions.elementToBeClickable(By.className("open-settings"))).click();
            wait.until(ExpectedConditions.elementToBeClickable(By.id("read-receipts"))).click();
            wait.until(ExpectedConditions.textToBe(By.className("saved"), "Saved."));
            assertEveryControlIsLabelled(browser, "settings");
            browser.findElement(By.id("profile-name")).sendKeys("Alice A.", Keys.ENTER);
            browser.findElement(By.className("back")).click();
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "are you there?"));
                By chat = By.cssSelector("button[data-chat='bob.44']");
                wait.until(ExpectedConditions.textToBe(By.cssSelector("button[data-chat='bob.44'] .unread"), "1"));
                // By keyboard alone: Tab reaches the chat, Enter opens it.
                for (int i = 0; i < 40 && !browser.switchTo().activeElement().equals(browser.findElement(chat)); i++) {
                    new Actions(browser).sendKeys(Keys.TAB).perform();
                }
                assertThat(browser.switchTo().activeElement()).as("Tab reaches the chat").isEqualTo(browser.findElement(chat));
                new Actions(browser).sendKeys(Keys.ENTER).perform();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"),
                        "are you there?"));
                // While alice types, bob sees it (typing indicators are on).
                browser.findElement(By.id("compose")).sendKeys("yes");
                JsonNode typing = nextWith(bob, "/typingMessage");
                assertThat(typing.get("typingMessage").get("action").asText()).isEqualTo("STARTED");
                browser.findElement(By.id("compose")).sendKeys(Keys.ENTER);
                JsonNode answer = nextWith(bob, "/dataMessage/message");
                assertThat(answer.get("dataMessage").get("message").asText()).isEqualTo("yes");
                browser.findElement(By.className("back")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(chat));
                assertThat(browser.findElements(By.cssSelector("button[data-chat='bob.44'] .unread"))).isEmpty();
                for (long end = System.nanoTime() + Duration.ofSeconds(3).toNanos(); System.nanoTime() < end; ) {
                    JsonNode notification = bob.nextNotification(Duration.ofMillis(500));
                    assertThat(notification == null ? false
                            : notification.get("params").get("envelope").path("receiptMessage").path("isRead")
                                    .asBoolean()).as("a read receipt with receipts off").isFalse();
                }
            }

            // A long conversation opens with its newest page at the first unread message; the unread
            // run began on an older page, so that page comes too and the marker stands before n0.
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                for (int i = 0; i < 130; i++) {
                    bob.result("send", RpcClient.params().put("recipient", alice).put("message", "n" + i));
                }
            }
            By chatPreview = By.cssSelector("button[data-chat='bob.44'] .chat-preview");
            wait.until(ExpectedConditions.textToBe(chatPreview, "n129"));
            browser.findElement(By.cssSelector("button[data-chat='bob.44']")).click();
            try {
                wait.until(ExpectedConditions.textToBe(By.xpath("//li[contains(@class,'new-marker')]"
                        + "/following-sibling::li[contains(@class,'message')][1]/p[@class='body']"), "n0"));
            } catch (org.openqa.selenium.TimeoutException e) {
                throw new AssertionError("the list: " + ((JavascriptExecutor) browser).executeScript(
                        "return [...document.querySelectorAll('.messages > li')].slice(0, 6)"
                                + ".map(li => li.className + (li.hidden ? ' (hidden)' : '') + ': ' + li.innerText)"
                                + ".join(' | ') + ' / error: ' + document.querySelector('.error')?.textContent"), e);
            }
            browser.findElement(By.className("back")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(chatPreview));
            wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("button[data-chat='bob.44'] .unread")));
            // Opened again, everything read: the newest page only, until the user scrolls back.
            browser.findElement(By.cssSelector("button[data-chat='bob.44']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"), "n129"));
            assertThat(browser.findElements(By.cssSelector(".message"))).hasSize(100);
            assertThat(browser.findElements(By.className("new-marker"))).isEmpty();
            // It opens at the newest message, and only the messages scroll: the back button stays on screen.
            String newest = "//li[contains(@class,'message')][p[@class='body' and text()='n129']]";
            await().atMost(WAIT).until(() -> onScreen(browser, newest));
            assertThat(onScreen(browser, "//button[contains(@class,'back')]")).as("back button on screen").isTrue();
            // A message that arrives while the newest is in view comes into view too.
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                bob.result("send", RpcClient.params().put("recipient", alice).put("message", "n130"));
            }
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"), "n130"));
            await().atMost(WAIT).until(() -> onScreen(browser, "//li[contains(@class,'message')][p[@class='body' and text()='n130']]"));
            By oldest = By.xpath("//li[contains(@class,'message')][p[@class='body' and text()='n0']]");
            await().atMost(WAIT).until(() -> {
                ((JavascriptExecutor) browser).executeScript("document.querySelector('.message-scroller').scrollTop = 0;");
                return !browser.findElements(oldest).isEmpty();
            });
            assertThat(browser.findElements(By.cssSelector(".message"))).hasSize(131 + 2);
            assertThat(onScreen(browser, "//button[contains(@class,'back')]")).as("back button on screen").isTrue();
            browser.findElement(By.className("back")).click();

            // The connection screen says in plain words how Svyaz is connected, and what the probe found.
            wait.until(ExpectedConditions.elementToBeClickable(By.className("open-connection"))).click();
            wait.until(ExpectedConditions.attributeToBe(By.className("route"), "data-kind", "direct"));
            assertThat(browser.findElement(By.className("route")).getText()).isEqualTo("Connected directly to the server.");
            browser.findElement(By.className("probe")).click();
            waitFor(browser, Duration.ofSeconds(60)).until(
                    ExpectedConditions.visibilityOfElementLocated(By.className("recommendation")));
            assertThat(browser.findElement(By.className("recommendation")).getText())
                    .startsWith("Svyaz will use this way first on this network");
            assertThat(browser.findElements(By.cssSelector(".probe-results li[data-verdict='ok']"))).isNotEmpty();
            screen(browser, "connection");
            browser.findElement(By.id("relay-link")).sendKeys("svyaz://relay/garbage", Keys.ENTER);
            wait.until(ExpectedConditions.textMatches(By.cssSelector("[role=alert]"), Pattern.compile(".+")));
            browser.findElement(By.id("relays-only")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[role=alert]"), "relay"));
            assertThat(browser.findElement(By.id("relays-only")).isSelected()).as("no relay known").isFalse();

            // svyaz app attaches to what already runs: bob's daemon serves the app too, with its own link,
            // and a second svyaz app for alice gets a fresh link from the first.
            Cli.Result attached = Cli.run("-d", temp.resolve("bob.44").toString(), "app", "--no-open");
            assertThat(attached.exitCode()).as(attached.err()).isZero();
            assertThat(attached.out()).contains("already running");
            Matcher bobsLink = LINK.matcher(attached.out());
            assertThat(bobsLink.find()).isTrue();
            WebDriver bobsBrowser = Chromium.start(temp.resolve("chromium-bob"), "en");
            browsers.add(bobsBrowser);
            bobsBrowser.get(bobsLink.group());
            waitFor(bobsBrowser).until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("button[data-chat='" + alice + "']")));
            assertThat(bobsBrowser.findElement(By.className("me")).getText()).isEqualTo("You are bob.44");
            Cli.Result again = Cli.run("-d", temp.resolve("alice").toString(), "app", "--no-open");
            assertThat(again.exitCode()).as(again.err()).isZero();
            Matcher fresh = LINK.matcher(again.out());
            assertThat(fresh.find()).isTrue();
            assertThat(fresh.group()).isNotEqualTo(link).startsWith(link.substring(0, link.indexOf('#')));
        }
    }

    /** The envelope of the next message whose text is {@code text}, or fails. */
    private static JsonNode nextText(RpcClient bot, String text) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = bot.nextText(Duration.ofSeconds(1));
            if (notification != null && notification.get("params").get("envelope").get("dataMessage").get("message")
                    .asText().equals(text)) {
                return notification.get("params").get("envelope");
            }
        }
        throw new AssertionError("no message '" + text + "' in " + WAIT);
    }

    @Test
    void aGroupOfThreeInTheBrowser() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path bobSocket = startBotDaemon(server.inviteLink(), "bob.55");
            Path carolSocket = startBotDaemon(server.inviteLink(), "carol.56");
            String link = startApp(temp.resolve("alice"), "app-alice");
            WebDriver browser = Chromium.start(temp.resolve("chromium-alice"), "en");
            browsers.add(browser);
            WebDriverWait wait = waitFor(browser);
            String alice = signUp(browser, wait, link, server.inviteLink(), "alice");

            try (RpcClient bob = RpcClient.unix(bobSocket); RpcClient carol = RpcClient.unix(carolSocket)) {
                browser.findElement(By.cssSelector(".new-group summary")).click();
                browser.findElement(By.id("new-group-name")).sendKeys("Trio");
                browser.findElement(By.id("new-group-members")).sendKeys("bob.55, carol.56", Keys.ENTER);
                wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Trio"));
                browser.findElement(By.id("compose")).sendKeys("hello, trio", Keys.ENTER);
                JsonNode atBob = nextText(bob, "hello, trio");
                String groupId = atBob.get("dataMessage").get("groupInfo").get("groupId").asText();
                assertThat(nextText(carol, "hello, trio").get("dataMessage").get("groupInfo").get("groupId").asText())
                        .isEqualTo(groupId);

                // Bob answers in the group: alice sees it under his name, in the group, not in a chat with him.
                bob.result("send", RpcClient.params().put("groupId", groupId).put("message", "hi from bob"));
                By bobsBubble = By.xpath("//li[contains(@class,'incoming')][p[@class='body' and text()='hi from bob']]");
                wait.until(ExpectedConditions.visibilityOfElementLocated(bobsBubble));
                assertThat(browser.findElement(bobsBubble).findElement(By.className("author")).getText())
                        .isEqualTo("bob.55");

                // Ticks in the group, as in Signal: delivered once both devices have alice's message
                // (they tell her by themselves), read only once both opened it.
                long hello = atBob.get("timestamp").asLong();
                By helloTick = By.cssSelector(".message.outgoing[data-timestamp='" + hello + "'] .tick");
                wait.until(ExpectedConditions.attributeToBe(helloTick, "data-state", "delivered"));
                assertThat(bob.result("markRead", RpcClient.params().put("groupId", groupId).put("targetTimestamp", hello))
                        .get("readReceiptSent").asBoolean()).isTrue();
                // Bob types after his receipt left: once alice sees him typing, his receipt was applied too.
                bob.result("sendTyping", RpcClient.params().put("groupId", groupId));
                wait.until(ExpectedConditions.textToBe(By.className("typing"), "bob.55 is typing…"));
                assertThat(browser.findElement(helloTick).getAttribute("data-state")).as("read by bob only")
                        .isEqualTo("delivered");
                carol.result("markRead", RpcClient.params().put("groupId", groupId).put("targetTimestamp", hello));
                wait.until(ExpectedConditions.attributeToBe(helloTick, "data-state", "read"));

                // Reactions in the group: bob's to alice's message shows on her bubble; hers to his reaches him.
                bob.result("sendReaction", RpcClient.params().put("groupId", groupId).put("emoji", "👍")
                        .put("targetAuthor", atBob.get("source").asText()).put("targetTimestamp", hello));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.outgoing .reaction"), "👍"));
                browser.findElement(bobsBubble).findElement(By.className("react")).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//li[contains(@class,'incoming')]"
                        + "//div[contains(@class,'reaction-picker')]/button[@aria-label='❤️']"))).click();
                await().atMost(WAIT).until(() -> {
                    JsonNode messages = bob.result("listMessages", RpcClient.params().put("groupId", groupId));
                    JsonNode last = messages.get(messages.size() - 1);
                    return last.get("body").asText().equals("hi from bob")
                            && "❤️".equals(last.path("reactions").path(atBob.get("source").asText()).asText());
                });
                wait.until(ExpectedConditions.textToBePresentInElementLocated(
                        By.cssSelector(".message.incoming .reaction"), "❤️"));
                await("carol's device has both reactions").atMost(WAIT).until(() -> {
                    String atCarol = carol.result("listMessages", RpcClient.params().put("groupId", groupId)).toString();
                    return atCarol.contains("👍") && atCarol.contains("❤️");
                });
                browser.findElement(By.className("back")).click();
                By groupChat = By.cssSelector("button[data-chat='" + groupId + "']");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(groupChat, "hi from bob"));
                assertThat(browser.findElements(By.cssSelector("button[data-chat='bob.55']"))).isEmpty();
                // Search finds chats by name and by their last message, and says when nothing matches.
                WebElement search = browser.findElement(By.id("chat-search"));
                search.sendKeys("FROM BOB");
                assertThat(browser.findElements(groupChat)).hasSize(1);
                search.sendKeys(" and nobody else");
                wait.until(ExpectedConditions.textToBe(By.className("no-match"),
                        "No chat matches “FROM BOB and nobody else”."));
                assertThat(browser.findElements(groupChat)).isEmpty();
                search.clear();
                search.sendKeys("trio");
                wait.until(ExpectedConditions.visibilityOfElementLocated(groupChat));
                search.clear();
                search.sendKeys(Keys.SPACE, Keys.BACK_SPACE); // clear() fires no input event
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.className("no-match")));

                // Replies, edits and deletes in the group: alice replies to bob's message, edits her
                // own and deletes her reply; bob and carol get each with the group.
                browser.findElement(groupChat).click();
                long hiFromBob = Long.parseLong(wait.until(ExpectedConditions.visibilityOfElementLocated(bobsBubble))
                        .getAttribute("data-timestamp"));
                browser.findElement(bobsBubble).findElement(By.className("reply")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("composing")));
                browser.findElement(By.id("compose")).sendKeys("re bob", Keys.ENTER);
                JsonNode typingAtBob = nextWith(bob, "/typingMessage");
                assertThat(typingAtBob.get("source").asText()).isEqualTo(alice);
                assertThat(typingAtBob.at("/typingMessage/groupId").asText()).as("alice typed in the group")
                        .isEqualTo(groupId);
                JsonNode reAtCarol = nextWith(carol, "/dataMessage/quote");
                assertThat(reAtCarol.at("/dataMessage/message").asText()).isEqualTo("re bob");
                assertThat(reAtCarol.at("/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                assertThat(reAtCarol.at("/dataMessage/quote/id").asLong()).isEqualTo(hiFromBob);
                assertThat(reAtCarol.at("/dataMessage/quote/author").asText()).isEqualTo("bob.55");
                long reAt = reAtCarol.get("timestamp").asLong();

                By helloBubble = By.cssSelector(".message.outgoing[data-timestamp='" + hello + "']");
                browser.findElement(helloBubble).findElement(By.className("edit")).click();
                assertThat(browser.findElement(By.id("compose")).getAttribute("value")).isEqualTo("hello, trio");
                browser.findElement(By.id("compose")).sendKeys(" and all", Keys.ENTER);
                JsonNode editAtBob = nextWith(bob, "/editMessage");
                assertThat(editAtBob.at("/editMessage/targetSentTimestamp").asLong()).isEqualTo(hello);
                assertThat(editAtBob.at("/editMessage/dataMessage/message").asText()).isEqualTo("hello, trio and all");
                assertThat(editAtBob.at("/editMessage/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                wait.until(ExpectedConditions.textToBePresentInElementLocated(helloBubble, "edited"));

                By reBubble = By.cssSelector(".message.outgoing[data-timestamp='" + reAt + "']");
                browser.findElement(reBubble).findElement(By.className("delete")).click();
                wait.until(ExpectedConditions.alertIsPresent()).accept();
                JsonNode deleteAtBob = nextWith(bob, "/dataMessage/remoteDelete");
                assertThat(deleteAtBob.at("/dataMessage/remoteDelete/timestamp").asLong()).isEqualTo(reAt);
                assertThat(deleteAtBob.at("/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                wait.until(ExpectedConditions.textToBePresentInElementLocated(reBubble, "This message was deleted."));
                await("carol's device has the edit and the delete").atMost(WAIT).until(() -> {
                    String atCarol = carol.result("listMessages", RpcClient.params().put("groupId", groupId)).toString();
                    return atCarol.contains("hello, trio and all") && !atCarol.contains("re bob");
                });

                // Bob does the same from his device: alice sees his quote, his edit and his delete live.
                long quoting = bob.result("send", RpcClient.params().put("groupId", groupId).put("message", "quoting alice")
                        .put("quoteTimestamp", hello).put("quoteAuthor", alice)).get("timestamp").asLong();
                By quotingBubble = By.cssSelector(".message.incoming[data-timestamp='" + quoting + "']");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(quotingBubble, "hello, trio and all"));
                assertThat(browser.findElement(quotingBubble).findElement(By.className("quote")).getText())
                        .contains(alice);
                bob.result("send", RpcClient.params().put("groupId", groupId).put("message", "hi from bob, edited")
                        .put("editTimestamp", hiFromBob));
                By hiBubble = By.cssSelector(".message.incoming[data-timestamp='" + hiFromBob + "']");
                wait.until(ExpectedConditions.textToBe(new ByChained(hiBubble, By.className("body")), "hi from bob, edited"));
                assertThat(browser.findElement(hiBubble).findElement(By.className("edited")).isDisplayed()).isTrue();
                screen(browser, "group");
                bob.result("remoteDelete", RpcClient.params().put("groupId", groupId).put("targetTimestamp", quoting));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(quotingBubble, "This message was deleted."));

                // Rename it and remove carol: the others' devices follow.
                wait.until(ExpectedConditions.elementToBeClickable(By.className("contact-info"))).click();
                WebElement name = wait.until(ExpectedConditions.elementToBeClickable(By.id("group-name")));
                name.clear();
                name.sendKeys("Trio, renamed", Keys.ENTER);
                wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Trio, renamed"));
                await().atMost(WAIT).until(() -> bob.result("listGroups", null).get(0).get("name").asText()
                        .equals("Trio, renamed"));
                browser.findElement(By.cssSelector("li[data-member='carol.56'] .remove-member")).click();
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("li[data-member='carol.56']")));
                await().atMost(WAIT).until(() -> !carol.result("listGroups", null).get(0).get("isMember").asBoolean());

                // Alice makes bob an admin (a group keeps one) and leaves; bob's device sees her go.
                browser.findElement(By.cssSelector("li[data-member='bob.55'] .make-admin")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("li[data-member='bob.55'] .badge")));
                browser.findElement(By.className("leave")).click();
                wait.until(ExpectedConditions.alertIsPresent()).accept();
                wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Chats"));
                await().atMost(WAIT).until(() -> bob.result("listGroups", null).get(0).get("members")
                        .findValuesAsText("username").stream().noneMatch(alice::equals));
            }
        }
    }

    @Test
    void aRussianBrowserGetsRussianWithRussianPluralForms() throws Exception {
        String link = startApp(temp.resolve("vera"), "app-vera");
        WebDriver browser = Chromium.start(temp.resolve("chromium-vera"), "ru");
        browsers.add(browser);
        WebDriverWait wait = waitFor(browser);
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
        @SuppressWarnings("unchecked")
        List<String> days = (List<String>) ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "import('/js/i18n.js').then(i18n => done([1, 3, 7].map(n => i18n.tn('timer.day', n))));");
        assertThat(days).containsExactly("1 день", "3 дня", "7 дней");

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
            Path bobSocket = startBotDaemon(server.inviteLink(), "bob.22");
            Cli.Result garbage = Cli.run("-d", temp.resolve("alice").toString(), "app", "--no-open",
                    "https://example.org/svyaz://server/x");
            assertThat(garbage.exitCode()).isEqualTo(1);
            assertThat(garbage.err()).contains("LINK is not a Svyaz link");
            // Alice clicked the invite link she was sent: the app opens with it filled in.
            String link = startApp(temp.resolve("alice"), "app-alice", server.inviteLink());
            WebDriver browser = Chromium.start(temp.resolve("chromium-alice"), "en");
            browsers.add(browser);
            WebDriverWait wait = waitFor(browser);

            browser.get(link);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("invite")));
            assertThat(browser.getCurrentUrl()).as("the secret leaves the address bar").doesNotContain("secret");
            assertThat(browser.findElement(By.id("invite")).getAttribute("value")).isEqualTo(server.inviteLink());
            assertThat(browser.findElement(By.id("first-run-relay")).getAttribute("value")).isEmpty();
            screen(browser, "first-run");
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
                screen(browser, "conversation");
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
            screen(browser, "chats");
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

            // The service stops (as with Ctrl-C) and starts again: the open page says it is offline, then
            // reconnects by itself (same address, same session) and shows what arrived meanwhile.
            browser.findElement(By.cssSelector("button[data-chat='bob.22']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"), "two"));
            browser.findElement(By.id("compose")).sendKeys("half-typed");
            Process firstRun = apps.get("app-alice");
            firstRun.destroy();
            assertThat(firstRun.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            wait.until(ExpectedConditions.textToBe(By.id("status"), "Offline: trying to reach the Svyaz service again…"));
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                bob.result("send", RpcClient.params().put("message", "while you were away").put("recipient", alice));
            }
            String again = startApp(temp.resolve("alice"), "app-alice-again");
            Matcher firstPort = LINK.matcher(link);
            Matcher secondPort = LINK.matcher(again);
            assertThat(firstPort.find() && secondPort.find()).isTrue();
            assertThat(secondPort.group(1)).as("the last run's port").isEqualTo(firstPort.group(1));
            wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("status")));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".messages"),
                    "while you were away"));
            assertThat(browser.findElement(By.id("compose")).getAttribute("value")).isEqualTo("half-typed");
            browser.findElement(By.id("compose")).clear();
            browser.findElement(By.className("back")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("button[data-chat='bob.22']")));

            // Switching the language to Russian in the settings; the choice is kept.
            wait.until(ExpectedConditions.elementToBeClickable(By.className("open-settings"))).click();
            new Select(wait.until(ExpectedConditions.elementToBeClickable(
                    By.id("language")))).selectByValue("ru");
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Настройки"));
            browser.navigate().refresh();
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Чаты"));
            assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("ru");
            screen(browser, "chats-ru");

            // The link works once, and the API without the session cookie gives nothing.
            WebDriver stranger = Chromium.start(temp.resolve("chromium-stranger"), "en");
            browsers.add(stranger);
            stranger.get(link);
            waitFor(stranger).until(ExpectedConditions.visibilityOfElementLocated(
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
