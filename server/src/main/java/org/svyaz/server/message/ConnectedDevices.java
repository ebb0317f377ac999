// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The devices connected to this node, so a stored message can be pushed at once; devices on other
 * nodes of a cluster are woken through {@link RemoteDevices}.
 */
public final class ConnectedDevices {
    private final ConcurrentHashMap<DeviceAddress, DeviceDelivery> devices = new ConcurrentHashMap<>();
    private volatile RemoteDevices remote = RemoteDevices.NONE;

    /** Set once at start, before devices connect: how this node reaches the others. */
    public void useRemote(RemoteDevices remote) {
        this.remote = remote;
    }

    /** Registers a new connection; a device has one connection, so an older one is returned for closing. */
    public DeviceDelivery register(DeviceDelivery delivery) {
        DeviceDelivery previous = devices.put(delivery.address(), delivery);
        remote.connected(delivery.address());
        return previous;
    }

    public void unregister(DeviceDelivery delivery) {
        if (devices.remove(delivery.address(), delivery)) {
            remote.disconnected(delivery.address());
        }
    }

    /** Wakes the device here, or asks the node that holds it. */
    public void wake(UUID accountId, int deviceId) {
        DeviceAddress address = new DeviceAddress(accountId, deviceId);
        if (!wakeHere(address)) {
            remote.wake(address);
        }
    }

    /** Wakes the device if it is connected to this node; false when it is not. */
    public boolean wakeHere(DeviceAddress address) {
        DeviceDelivery delivery = devices.get(address);
        if (delivery == null) {
            return false;
        }
        delivery.wake();
        return true;
    }

    /** Makes every local device look at its mailbox, for when wake-ups from other nodes may have been lost. */
    public void wakeAll() {
        devices.values().forEach(DeviceDelivery::wake);
    }

    public List<DeviceAddress> addresses() {
        return List.copyOf(devices.keySet());
    }

    public int size() {
        return devices.size();
    }

    public List<DeviceDelivery> all() {
        return List.copyOf(devices.values());
    }
}
