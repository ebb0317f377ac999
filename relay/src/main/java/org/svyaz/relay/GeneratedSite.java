// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A small personal web site made for one relay, when its operator brings none: a page that every
 * relay shared would tell a censor "this is a Svyaz relay" with one request. It is written once into
 * the relay's data directory, so the relay shows the same site after a restart and the operator
 * can look at it or replace it.
 */
final class GeneratedSite {
    private static final List<String> OWNERS = List.of("Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Galina",
            "Hugo", "Irina", "Jonas", "Katya", "Lev", "Marta", "Nikolai", "Olga", "Pavel", "Quinn", "Rosa", "Sergei",
            "Tamara", "Ulrich", "Vera", "Wim", "Yana");
    private static final List<String> TOPICS = List.of("sourdough baking", "birdwatching", "film photography",
            "chess openings", "old bicycles", "houseplants", "river kayaking", "home roasting coffee", "knitting",
            "mushroom hunting", "amateur astronomy", "vintage radios", "bread ovens", "trail running", "beekeeping",
            "watercolour sketches", "jazz records", "fermenting vegetables", "model railways", "climbing");
    private static final List<String> SENTENCES = List.of(
            "I started writing these notes on %s to keep track of what worked and what did not.",
            "Most of what is here I learned the slow way, by getting %s wrong first.",
            "Friends kept asking me about %s, so the answers now live on this page.",
            "Nothing here is professional advice; it is one person's notebook on %s.",
            "New entries appear when I have time, which is not often.",
            "Photos are my own unless a caption says otherwise.",
            "If you spot a mistake, tell me the next time we meet.",
            "The oldest notes are at the bottom and some of them make me laugh now.",
            "Weekends are for %s, weekdays are for writing about it.");
    private static final List<String> POSTS = List.of("First attempts", "What I would do differently", "A long weekend",
            "Notes from the club meeting", "Tools I actually use", "A small disaster", "Winter routine",
            "Spring, finally", "Questions I get asked", "Cheap and good enough", "Ten years on", "Back again");
    private static final List<String> COLOURS = List.of("#2f4f4f", "#4b3832", "#22577a", "#6a4c93", "#386641",
            "#7f5539", "#264653", "#5e503f");

    private GeneratedSite() {
    }

    /** The site in {@code directory}, made there first if it holds no {@code index.html} yet. */
    static Path ensure(Path directory) throws IOException {
        Path index = directory.resolve("index.html");
        if (!Files.exists(index)) {
            Files.createDirectories(directory);
            Path temporary = directory.resolve("index.html.tmp");
            Files.writeString(temporary, page(new Random(new SecureRandom().nextLong()), LocalDate.now()),
                    StandardCharsets.UTF_8);
            Files.move(temporary, index);
        }
        return directory;
    }

    static String page(Random random, LocalDate today) {
        String owner = pick(random, OWNERS);
        String topic = pick(random, TOPICS);
        String colour = pick(random, COLOURS);
        List<String> sentences = new ArrayList<>(SENTENCES);
        Collections.shuffle(sentences, random);
        StringBuilder about = new StringBuilder();
        for (String sentence : sentences.subList(0, 2 + random.nextInt(3))) {
            about.append(sentence.formatted(topic)).append(' ');
        }
        List<String> posts = new ArrayList<>(POSTS);
        Collections.shuffle(posts, random);
        StringBuilder list = new StringBuilder();
        LocalDate date = today.minusDays(random.nextInt(40));
        for (String post : posts.subList(0, 3 + random.nextInt(5))) {
            list.append("      <li><time datetime=\"").append(date).append("\">").append(date).append("</time> ")
                    .append(post).append("</li>\n");
            date = date.minusDays(5 + random.nextInt(60));
        }
        String title = owner + "'s notes on " + topic;
        return """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <title>%s</title>
                  <style>body{font-family:Georgia,serif;max-width:%drem;margin:2rem auto;padding:0 1rem;color:#222}h1{color:%s}time{color:#777;margin-right:.5rem}</style>
                </head>
                <body>
                  <h1>%s</h1>
                  <p>%s</p>
                  <h2>Latest</h2>
                  <ul>
                %s  </ul>
                  <footer>&copy; %d %s</footer>
                </body>
                </html>
                """.formatted(title, 36 + random.nextInt(12), colour, title, about.toString().strip(), list,
                today.getYear(), owner);
    }

    private static String pick(Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }
}
