// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes results to stdout: plain lines, or one JSON object per line with {@code -o json}. */
final class Output {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Output() {}

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** What a send printed: its timestamp (the message's name for replies, edits...), and with json its route. */
    static void sent(SvyazCommand root, PrintWriter out, long timestamp, String route) {
        if (root.output == SvyazCommand.OutputFormat.JSON) {
            ObjectNode result = object();
            result.put("timestamp", timestamp);
            result.put("route", route);
            json(out, result);
        } else {
            out.println(timestamp);
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
