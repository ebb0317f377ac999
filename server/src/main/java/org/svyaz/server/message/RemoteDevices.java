// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

/**
 * Devices connected to other nodes of a cluster. A single node has none; a cluster node tells the
 * others which devices it holds and wakes theirs through Redis ({@code RedisPresence}).
 */
public interface RemoteDevices extends AutoCloseable {
    /** A single server: every device is local. */
    RemoteDevices NONE = new RemoteDevices() {
        @Override
        public void connected(DeviceAddress device) {}

        @Override
        public void disconnected(DeviceAddress device) {}

        @Override
        public void wake(DeviceAddress device) {}

        @Override
        public void close() {}
    };

    /** This node now holds the device's connection. */
    void connected(DeviceAddress device);

    /** This node no longer holds it (another node may, already). */
    void disconnected(DeviceAddress device);

    /** Wakes a device that is not connected here, wherever it is; best effort. */
    void wake(DeviceAddress device);

    @Override
    void close();
}
