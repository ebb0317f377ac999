// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;

/**
 * Keeps the server's signed descriptor current: the listening addresses plus the operator's
 * {@link DescriptorSettings}, re-signed whenever the settings file changes. The operator's relays
 * go to {@link RelayGrants}, never into the descriptor, which anyone may fetch.
 */
public final class DescriptorKeeper {
    private static final Logger log = LoggerFactory.getLogger(DescriptorKeeper.class);

    private final ServerIdentity identity;
    private final byte[] sealedSenderTrustRoot;
    private final List<Endpoint> baseEndpoints;
    private final Path dataDir;
    private final Clock clock;
    private final RelayGrants relayGrants;
    private volatile InviteLink current;
    private FileTime settingsSeen;

    public DescriptorKeeper(ServerIdentity identity, byte[] sealedSenderTrustRoot, List<Endpoint> baseEndpoints,
                            Path dataDir, Clock clock, RelayGrants relayGrants) throws IOException {
        this.identity = identity;
        this.relayGrants = relayGrants;
        this.sealedSenderTrustRoot = sealedSenderTrustRoot.clone();
        this.baseEndpoints = List.copyOf(baseEndpoints);
        this.dataDir = dataDir;
        this.clock = clock;
        republish();
    }

    public InviteLink current() {
        return current;
    }

    /** Signs and writes a new descriptor from the listening addresses and the settings file. */
    public synchronized InviteLink republish() throws IOException {
        DescriptorSettings settings = DescriptorSettings.load(dataDir);
        Set<Endpoint> endpoints = new LinkedHashSet<>(baseEndpoints);
        for (String endpoint : settings.endpoints()) {
            int colon = endpoint.lastIndexOf(':');
            try {
                endpoints.add(Endpoint.newBuilder()
                        .setHost(endpoint.substring(0, colon).replace("[", "").replace("]", ""))
                        .setPort(Integer.parseInt(endpoint.substring(colon + 1)))
                        .build());
            } catch (RuntimeException e) {
                throw new IOException(DescriptorSettings.FILE + ": '" + endpoint + "' is not HOST:PORT", e);
            }
        }
        List<RelayLink> relays = settings.relayLinks();
        current = DescriptorPublisher.publish(identity, sealedSenderTrustRoot, new ArrayList<>(endpoints),
                new ArrayList<>(settings.dohResolvers()), new ArrayList<>(settings.coverNames()),
                new ArrayList<>(settings.turnUris()), dataDir, clock);
        relayGrants.useRelays(relays);
        settingsSeen = modified();
        return current;
    }

    /** Re-signs when the operator changed the settings since the last time; errors keep the old descriptor. */
    public void refreshIfChanged() {
        try {
            FileTime now = modified();
            boolean changed;
            synchronized (this) {
                changed = now != null && !now.equals(settingsSeen);
            }
            if (changed) {
                republish();
                log.info("descriptor re-signed after a settings change");
            }
        } catch (IOException e) {
            log.warn("the descriptor settings are invalid; keeping the current descriptor: {}", e.getMessage());
        }
    }

    private FileTime modified() throws IOException {
        Path file = dataDir.resolve(DescriptorSettings.FILE);
        return Files.exists(file) ? Files.getLastModifiedTime(file) : null;
    }
}
