// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The devices connected to this node, each with the delivery serving its one connection. Only this
 * node's view: {@link DeliveryRegistry} adds what the other nodes of a cluster must hear.
 */
public final class ConnectedDevices {
    private final ConcurrentHashMap<DeviceAddress, DeviceDelivery> devices = new ConcurrentHashMap<>();

    /** Registers a new connection; a device has one connection, so an older one is returned for closing. */
    DeviceDelivery register(DeviceDelivery delivery) {
        return devices.put(delivery.address(), delivery);
    }

    /** Removes the delivery if it still serves its device; false when a newer connection replaced it. */
    boolean unregister(DeviceDelivery delivery) {
        return devices.remove(delivery.address(), delivery);
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
