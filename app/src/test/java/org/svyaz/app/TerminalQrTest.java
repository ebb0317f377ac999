// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.relay.RelayDescriptor;

class TerminalQrTest {
    private static final int SCALE = 4;

    @Test
    void aRelayLinkDrawnOnTheTerminalScansBackToTheSameLink() throws Exception {
        String link = new RelayLink(RelayDescriptor.newBuilder().setHost("198.51.100.2").setPort(443)
                .setSni("news.example.org").setTlsKeyPin(ByteString.copyFrom(new byte[32]))
                .setSecret(ByteString.copyFrom(new byte[32])).setServerIdentityKey(ByteString.copyFrom(new byte[44]))
                .build()).toString();

        String drawn = TerminalQr.render(link);
        String scanned = new QRCodeReader().decode(bitmap(drawn), Map.of(DecodeHintType.PURE_BARCODE, true)).getText();

        assertThat(scanned).isEqualTo(link);
        assertThat(RelayLink.parse(scanned + "\n").toString()).as("what a scanner hands over is importable").isEqualTo(link);
    }

    /** Turns the half-block drawing back into pixels: light where a block is drawn, dark where not. */
    private static BinaryBitmap bitmap(String drawn) {
        List<String> lines = drawn.lines().toList();
        int width = lines.getFirst().length();
        int height = lines.size() * 2;
        int[] pixels = new int[width * SCALE * height * SCALE];
        for (int row = 0; row < lines.size(); row++) {
            String line = lines.get(row);
            for (int x = 0; x < width; x++) {
                char c = line.charAt(x);
                boolean topLight = c == '█' || c == '▀';
                boolean bottomLight = c == '█' || c == '▄';
                paint(pixels, width * SCALE, x, row * 2, topLight);
                paint(pixels, width * SCALE, x, row * 2 + 1, bottomLight);
            }
        }
        return new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(width * SCALE, height * SCALE, pixels)));
    }

    private static void paint(int[] pixels, int stride, int moduleX, int moduleY, boolean light) {
        int colour = light ? 0xFFFFFF : 0x000000;
        for (int dy = 0; dy < SCALE; dy++) {
            for (int dx = 0; dx < SCALE; dx++) {
                pixels[(moduleY * SCALE + dy) * stride + moduleX * SCALE + dx] = colour;
            }
        }
    }
}
