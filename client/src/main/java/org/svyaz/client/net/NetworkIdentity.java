// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A short local name for the network this device is on, so that the route that worked on the
 * home Wi-Fi is not assumed to work on the mobile network. Derived from the device's own interface
 * addresses (IPv6 reduced to its /64, which temporary addresses do not change); only a hash of
 * them is kept, on the device.
 */
public final class NetworkIdentity {
    private NetworkIdentity() {}

    public static String current() {
        List<String> parts = new ArrayList<>();
        try {
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InterfaceAddress address : nic.getInterfaceAddresses()) {
                    InetAddress ip = address.getAddress();
                    if (ip.isLinkLocalAddress() || ip.isLoopbackAddress()) {
                        continue;
                    }
                    parts.add(ip instanceof Inet6Address
                            ? HexFormat.of().formatHex(ip.getAddress(), 0, 8) + "/64"
                            : ip.getHostAddress() + "/" + address.getNetworkPrefixLength());
                }
            }
        } catch (SocketException e) {
            return "unknown";
        }
        parts.sort(null);
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(String.join(",", parts).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
