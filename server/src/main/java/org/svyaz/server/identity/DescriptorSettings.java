// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.RelayLink;

/**
 * What the operator adds to the server descriptor beyond the listening address:
 * {@code DATA/descriptor.conf}, one entry per line ({@code endpoint HOST:PORT},
 * {@code relay svyaz://relay/...}, {@code doh https://...}, {@code cover NAME}, {@code turn turn:HOST:PORT?transport=udp}); {@code #} starts a comment.
 * Edited with {@code svyaz server descriptor}; a running server picks changes up within a minute.
 */
public record DescriptorSettings(Set<String> endpoints, Set<String> relays, Set<String> dohResolvers,
                                 Set<String> coverNames, Set<String> turnUris) {
    public static final String FILE = "descriptor.conf";

    public DescriptorSettings {
        endpoints = new LinkedHashSet<>(endpoints);
        relays = new LinkedHashSet<>(relays);
        dohResolvers = new LinkedHashSet<>(dohResolvers);
        coverNames = new LinkedHashSet<>(coverNames);
        turnUris = new LinkedHashSet<>(turnUris);
    }

    public static DescriptorSettings load(Path dataDir) throws IOException {
        Set<String> endpoints = new LinkedHashSet<>();
        Set<String> relays = new LinkedHashSet<>();
        Set<String> doh = new LinkedHashSet<>();
        Set<String> cover = new LinkedHashSet<>();
        Set<String> turn = new LinkedHashSet<>();
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            int number = 0;
            for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                number++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+", 2);
                if (parts.length != 2) {
                    throw new IOException(FILE + " line " + number + ": expected 'endpoint', 'relay', 'doh', 'cover' or 'turn' and a value");
                }
                switch (parts[0]) {
                    case "endpoint" -> endpoints.add(parts[1]);
                    case "relay" -> relays.add(parts[1]);
                    case "doh" -> doh.add(parts[1]);
                    case "cover" -> cover.add(parts[1]);
                    case "turn" -> turn.add(parts[1]);
                    default -> throw new IOException(FILE + " line " + number + ": unknown entry '" + parts[0] + "'");
                }
            }
        }
        return new DescriptorSettings(endpoints, relays, doh, cover, turn);
    }

    public void save(Path dataDir) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# Svyaz server descriptor additions; edit with 'svyaz server descriptor'.");
        endpoints.forEach(e -> lines.add("endpoint " + e));
        relays.forEach(r -> lines.add("relay " + r));
        dohResolvers.forEach(d -> lines.add("doh " + d));
        coverNames.forEach(c -> lines.add("cover " + c));
        turnUris.forEach(t -> lines.add("turn " + t));
        Path temporary = dataDir.resolve(FILE + ".tmp");
        Files.write(temporary, lines, StandardCharsets.UTF_8);
        Files.move(temporary, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The relay links, each checked; a damaged one is an error in the settings file. */
    public List<RelayLink> relayLinks() throws IOException {
        List<RelayLink> links = new ArrayList<>();
        for (String relay : relays) {
            try {
                RelayLink link = RelayLink.parse(relay);
                if (link.granted()) {
                    throw new IOException(FILE + ": a relay is added by the link its operator printed (with its "
                            + "secret), not by one a server handed out");
                }
                links.add(link);
            } catch (InvalidInviteLinkException e) {
                throw new IOException(FILE + ": a relay link is not valid: " + e.getMessage(), e);
            }
        }
        return links;
    }
}
