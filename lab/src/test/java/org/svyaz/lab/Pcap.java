// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Reads a classic pcap file of Ethernet frames (what tcpdump -w writes on a veth link). */
record Pcap(List<byte[]> packets) {
    private static final int ETHERNET = 1;

    static Pcap read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        int magic = in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            in.order(ByteOrder.BIG_ENDIAN);
            magic = in.getInt(0);
            if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
                throw new IOException(file + " is not a pcap file");
            }
        }
        int linkType = in.getInt(20);
        if (linkType != ETHERNET) {
            throw new IOException(file + " has link type " + linkType + ", not Ethernet");
        }
        List<byte[]> packets = new ArrayList<>();
        int position = 24;
        // A record header is 16 bytes; the last record may be cut short when tcpdump was stopped.
        while (position + 16 <= in.limit()) {
            int length = in.getInt(position + 8);
            position += 16;
            if (length < 0 || position + length > in.limit()) {
                break;
            }
            byte[] packet = new byte[length];
            in.get(position, packet);
            packets.add(packet);
            position += length;
        }
        return new Pcap(List.copyOf(packets));
    }

    /** Source and destination addresses of every IPv4 packet. */
    Set<String> addresses() {
        Set<String> addresses = new LinkedHashSet<>();
        for (byte[] frame : packets) {
            if (frame.length < 14 + 20 || (frame[12] & 0xff) != 0x08 || frame[13] != 0x00) {
                continue;
            }
            addresses.add(ipv4(frame, 14 + 12));
            addresses.add(ipv4(frame, 14 + 16));
        }
        return addresses;
    }

    private static String ipv4(byte[] frame, int offset) {
        return (frame[offset] & 0xff) + "." + (frame[offset + 1] & 0xff) + "." + (frame[offset + 2] & 0xff) + "."
                + (frame[offset + 3] & 0xff);
    }

    /** Whether any single packet contains {@code text} (ASCII). */
    boolean containsBytes(String text) {
        byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        for (byte[] packet : packets) {
            outer:
            for (int i = 0; i + needle.length <= packet.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (packet[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }
}
