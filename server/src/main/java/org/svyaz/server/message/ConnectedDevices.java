// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The devices connected to this node, so a stored message can be pushed at once. */
public final class ConnectedDevices {
    private final ConcurrentHashMap<DeviceAddress, DeviceDelivery> devices = new ConcurrentHashMap<>();

    /** Registers a new connection; a device has one connection, so an older one is returned for closing. */
    public DeviceDelivery register(DeviceDelivery delivery) {
        return devices.put(delivery.address(), delivery);
    }

    public void unregister(DeviceDelivery delivery) {
        devices.remove(delivery.address(), delivery);
    }

    public void wake(UUID accountId, int deviceId) {
        DeviceDelivery delivery = devices.get(new DeviceAddress(accountId, deviceId));
        if (delivery != null) {
            delivery.wake();
        }
    }

    public int size() {
        return devices.size();
    }

    public List<DeviceDelivery> all() {
        return List.copyOf(devices.values());
    }
}
