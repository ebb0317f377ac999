// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A peer in memory: what was pushed to it, parsed. */
final class RecordingPeer implements RpcPeer {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String label;
    private final List<String> frames = new CopyOnWriteArrayList<>();

    RecordingPeer(String label) {
        this.label = label;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public boolean acceptsPushes() {
        return true;
    }

    @Override
    public void push(String frame) {
        frames.add(frame);
    }

    List<JsonNode> pushed() {
        return frames.stream().map(RecordingPeer::parse).toList();
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
