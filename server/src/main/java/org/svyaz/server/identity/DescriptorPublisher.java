// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import com.google.protobuf.ByteString;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;

/** Signs the server descriptor for the current endpoints and writes the invite link to {@code DATA/invite.txt}. */
public final class DescriptorPublisher {
    public static final String INVITE_FILE = "invite.txt";

    private DescriptorPublisher() {}

    /** How long a descriptor is valid; running servers re-sign long before (at every change and start). */
    public static final Duration VALIDITY = Duration.ofDays(90);

    public static InviteLink publish(ServerIdentity identity, byte[] sealedSenderTrustRoot, List<Endpoint> endpoints,
                                     Path dataDir, Clock clock) throws IOException {
        return publish(identity, sealedSenderTrustRoot, endpoints, List.of(), List.of(), List.of(), dataDir, clock);
    }

    public static InviteLink publish(ServerIdentity identity, byte[] sealedSenderTrustRoot, List<Endpoint> endpoints,
                                     List<String> dohResolvers,
                                     List<String> coverNames, List<String> turnUris, Path dataDir, Clock clock)
            throws IOException {
        ServerDescriptor descriptor = ServerDescriptor.newBuilder()
                .setVersion(1)
                .setIdentityKey(ByteString.copyFrom(identity.identityKeyPair().getPublic().getEncoded()))
                .addTlsKeyPins(ByteString.copyFrom(identity.tlsKeyPin()))
                .addAllEndpoints(endpoints)
                .setIssuedAt(clock.millis())
                .setExpiresAt(clock.millis() + VALIDITY.toMillis())
                .addAllDohResolvers(dohResolvers)
                .addAllCoverNames(coverNames)
                .addAllTurnUris(turnUris)
                .setSealedSenderTrustRoot(ByteString.copyFrom(sealedSenderTrustRoot))
                .build();
        InviteLink link = InviteLink.sign(descriptor, identity.identityKeyPair().getPrivate(), Optional.empty());
        Path file = dataDir.resolve(INVITE_FILE);
        // A temporary file of this writer's own: the nodes of a cluster share the data directory and
        // may publish at the same moment; with one shared name a node could rename another's half-written file.
        Path temporary = Files.createTempFile(dataDir, INVITE_FILE + ".", ".tmp");
        try {
            Files.writeString(temporary, link + "\n");
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary); // gone after the move; left over only when writing failed
        }
        return link;
    }
}
