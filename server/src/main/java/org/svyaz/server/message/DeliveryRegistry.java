// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.UUID;

/**
 * Where a stored message's recipient device is served: the deliveries of the devices connected to
 * this node ({@link ConnectedDevices}) and, in a cluster, the other nodes ({@link RemoteDevices}),
 * which hear of every device that connects here or leaves.
 */
public final class DeliveryRegistry {
    /** Closes a device's older connection when a newer one registers; WebSocket close code (private range). */
    public static final int REPLACED_CLOSE_CODE = 4001;

    /** Ends one delivery's registration, when its connection closes. Safe to call twice. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private final ConnectedDevices local;
    private final RemoteDevices remote;

    public DeliveryRegistry(ConnectedDevices local, RemoteDevices remote) {
        this.local = local;
        this.remote = remote;
    }

    /** A registry for a single server: every device is local. */
    public static DeliveryRegistry singleNode() {
        return new DeliveryRegistry(new ConnectedDevices(), RemoteDevices.NONE);
    }

    /**
     * Makes {@code delivery} the one serving its device, closes the connection it replaces (a device
     * has one), and tells the other nodes. The returned registration undoes it unless a newer
     * connection took over in between.
     */
    public Registration register(DeviceDelivery delivery) {
        DeviceDelivery previous = local.register(delivery);
        remote.connected(delivery.address());
        if (previous != null) {
            previous.channel().close(REPLACED_CLOSE_CODE, "replaced by a newer connection of this device");
        }
        return () -> {
            if (local.unregister(delivery)) {
                remote.disconnected(delivery.address());
            }
        };
    }

    /** Wakes the device here, or asks the node that holds it. */
    public void wake(UUID accountId, int deviceId) {
        DeviceAddress address = new DeviceAddress(accountId, deviceId);
        if (!local.wakeHere(address)) {
            remote.wake(address);
        }
    }

    /** The devices connected to this node. */
    public ConnectedDevices local() {
        return local;
    }
}
