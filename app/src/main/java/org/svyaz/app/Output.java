// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Model.CommandSpec;

/** Writes results to stdout: plain lines, or one JSON object per line with {@code -o json}. */
final class Output {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Output() {}

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static ArrayNode array() {
        return JSON.createArrayNode();
    }

    /**
     * What a send prints: its timestamp (the message's name for replies, edits...), or with json the
     * whole report; on standard error a note for each recipient the server saw the sender of.
     */
    static void sent(SvyazCommand root, CommandSpec spec, JsonNode result) {
        for (JsonNode recipient : result.path("results")) {
            if (!recipient.path("sealed").asBoolean(true)) {
                spec.commandLine().getErr().println("Note: sent to " + recipient.path("recipientAddress")
                        .path("username").asText() + " without sealed sender (the server saw who sent it), because "
                        + "they have not written to you yet.");
            }
        }
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            json(spec.commandLine().getOut(), result);
        } else {
            spec.commandLine().getOut().println(result.path("timestamp").asLong());
            spec.commandLine().getOut().flush();
        }
    }

    static void json(PrintWriter out, Object node) {
        try {
            out.println(JSON.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of JSON nodes always serialises", e);
        }
        out.flush();
    }
}
