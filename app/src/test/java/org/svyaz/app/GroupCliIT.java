// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Groups through the CLI, in signal-cli's terms, as separate processes against a server process. */
class GroupCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void createChangeSendReceiveAndQuitAGroup() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            String carol = temp.resolve("carol").toString();
            for (String[] account : new String[][] {{alice, "alice.51"}, {bob, "bob.52"}, {carol, "carol.53"}}) {
                Cli.Result registered = Cli.run("-d", account[0], "register", "--server", server.inviteLink(),
                        "--username", account[1]);
                assertThat(registered.exitCode()).as(registered.err()).isZero();
            }

            Cli.Result created = Cli.run("-d", alice, "updateGroup", "-n", "Book club", "-m", "bob.52", "carol.53");
            assertThat(created.exitCode()).as(created.err()).isZero();
            String groupId = created.out().strip();
            assertThat(groupId).matches("[A-Za-z0-9+/]{43}=");

            JsonNode update = jsonLines(ok(Cli.run("-d", bob, "-o", "json", "receive", "-t", "3"))).getFirst();
            JsonNode groupInfo = update.path("envelope").path("dataMessage").path("groupInfo");
            assertThat(groupInfo.path("groupId").asText()).isEqualTo(groupId);
            assertThat(groupInfo.path("groupName").asText()).isEqualTo("Book club");
            assertThat(groupInfo.path("type").asText()).isEqualTo("UPDATE");

            JsonNode listed = jsonLines(ok(Cli.run("-d", bob, "-o", "json", "listGroups"))).getFirst().get(0);
            assertThat(listed.path("id").asText()).isEqualTo(groupId);
            assertThat(listed.path("isMember").asBoolean()).isTrue();
            assertThat(listed.path("isAdmin").asBoolean()).isFalse();
            assertThat(listed.path("members")).hasSize(3);
            assertThat(listed.path("admins").path(0).path("username").asText()).isEqualTo("alice.51");

            // A member may not rename the group: exit code 1 and a sentence.
            Cli.Result refused = Cli.run("-d", bob, "updateGroup", "-g", groupId, "-n", "Bob's club");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).contains("admins");

            // Files arrive unasked only from someone the member wrote to (or in a group they wrote to).
            for (String member : List.of(bob, carol)) {
                assertThat(Cli.run("-d", member, "send", "-m", "hello", "alice.51").exitCode()).isZero();
            }
            Path photo = Files.write(temp.resolve("cover.jpg"), new byte[40_000]);
            Cli.Result sent = Cli.run("-d", alice, "send", "-g", groupId, "-m", "first chapter", "-a", photo.toString());
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            for (String member : List.of(bob, carol)) {
                List<JsonNode> got = jsonLines(ok(Cli.run("-d", member, "-o", "json", "receive", "-t", "3")));
                JsonNode message = got.getLast().path("envelope").path("dataMessage");
                assertThat(message.path("message").asText()).isEqualTo("first chapter");
                assertThat(message.path("groupInfo").path("type").asText()).isEqualTo("DELIVER");
                assertThat(message.path("groupInfo").path("groupId").asText()).isEqualTo(groupId);
                assertThat(message.path("attachments").path(0).path("error").isMissingNode()).as(message.toString()).isTrue();
                assertThat(Files.size(Path.of(message.path("attachments").path(0).path("storedFilename").asText())))
                        .isEqualTo(40_000);
            }

            // Replies, edits and deletes in the group, as signal-cli's send -g and remoteDelete -g.
            long chapter = Long.parseLong(sent.out().strip());
            ok(Cli.run("-d", bob, "send", "-g", groupId, "-m", "which one?", "--quote-timestamp", String.valueOf(chapter),
                    "--quote-author", "alice.51"));
            ok(Cli.run("-d", alice, "send", "-g", groupId, "--edit-timestamp", String.valueOf(chapter), "-m",
                    "first two chapters"));
            ok(Cli.run("-d", alice, "remoteDelete", "-g", groupId, "-t", String.valueOf(chapter)));
            List<JsonNode> atCarol = jsonLines(ok(Cli.run("-d", carol, "-o", "json", "receive", "-t", "3")));
            JsonNode reply = atCarol.stream().map(line -> line.path("envelope").path("dataMessage"))
                    .filter(data -> data.has("quote")).findFirst().orElseThrow();
            assertThat(reply.path("message").asText()).isEqualTo("which one?");
            assertThat(reply.path("groupInfo").path("groupId").asText()).isEqualTo(groupId);
            assertThat(reply.path("quote").path("id").asLong()).isEqualTo(chapter);
            assertThat(reply.path("quote").path("author").asText()).isEqualTo("alice.51");
            JsonNode edit = atCarol.stream().filter(line -> line.path("envelope").has("editMessage")).findFirst()
                    .orElseThrow();
            assertThat(edit.has("exception")).as(edit.toString()).isFalse();
            assertThat(edit.at("/envelope/editMessage/targetSentTimestamp").asLong()).isEqualTo(chapter);
            assertThat(edit.at("/envelope/editMessage/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
            JsonNode delete = atCarol.stream().filter(line -> line.at("/envelope/dataMessage").has("remoteDelete"))
                    .findFirst().orElseThrow();
            assertThat(delete.has("exception")).as(delete.toString()).isFalse();
            assertThat(delete.at("/envelope/dataMessage/remoteDelete/timestamp").asLong()).isEqualTo(chapter);
            assertThat(delete.at("/envelope/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
            Cli.Result notBobs = Cli.run("-d", bob, "remoteDelete", "-g", groupId, "-t", String.valueOf(chapter));
            assertThat(notBobs.exitCode()).isEqualTo(1);
            assertThat(notBobs.err()).contains("only your own");
            Cli.Result noAuthor = Cli.run("-d", carol, "send", "-g", groupId, "-m", "x", "--quote-timestamp",
                    String.valueOf(chapter));
            assertThat(noAuthor.exitCode()).isEqualTo(1);
            assertThat(noAuthor.err()).contains("--quote-author");

            ok(Cli.run("-d", alice, "updateGroup", "-g", groupId, "-n", "Reading club", "--admin", "bob.52"));
            ok(Cli.run("-d", bob, "receive", "-t", "3"));
            JsonNode promoted = jsonLines(ok(Cli.run("-d", bob, "-o", "json", "listGroups"))).getFirst().get(0);
            assertThat(promoted.path("name").asText()).isEqualTo("Reading club");
            assertThat(promoted.path("isAdmin").asBoolean()).isTrue();

            ok(Cli.run("-d", carol, "quitGroup", "-g", groupId));
            assertThat(Cli.run("-d", carol, "send", "-g", groupId, "-m", "hello?").exitCode()).isEqualTo(1);
            ok(Cli.run("-d", alice, "receive", "-t", "3"));
            JsonNode afterQuit = jsonLines(ok(Cli.run("-d", alice, "-o", "json", "listGroups"))).getFirst().get(0);
            assertThat(afterQuit.path("members")).hasSize(2);

            Cli.Result unknown = Cli.run("-d", alice, "send", "-g", "AAAA", "-m", "x");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.err()).contains("not a group id");
            Cli.Result both = Cli.run("-d", alice, "send", "-g", groupId, "-m", "x", "bob.52");
            assertThat(both.exitCode()).isEqualTo(1);
        }
    }

    private static String ok(Cli.Result result) {
        assertThat(result.exitCode()).as(result.err()).isZero();
        return result.out();
    }

    private static List<JsonNode> jsonLines(String out) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }
}
