// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.util.Map;

/**
 * A QR code drawn with Unicode half blocks, two modules rows per text line, so a link can be passed
 * from a terminal to a phone's camera. Dark modules are spaces and light ones blocks, which reads
 * correctly on the usual dark terminal background.
 */
final class TerminalQr {
    private TerminalQr() {}

    static String render(String text) {
        BitMatrix matrix;
        try {
            matrix = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.MARGIN, 2, EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.L));
        } catch (WriterException e) {
            throw new IllegalArgumentException("too long for a QR code: " + e.getMessage(), e);
        }
        StringBuilder out = new StringBuilder();
        for (int y = 0; y < matrix.getHeight(); y += 2) {
            for (int x = 0; x < matrix.getWidth(); x++) {
                boolean topLight = !matrix.get(x, y);
                boolean bottomLight = y + 1 >= matrix.getHeight() || !matrix.get(x, y + 1);
                out.append(topLight ? (bottomLight ? '█' : '▀') : (bottomLight ? '▄' : ' '));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
