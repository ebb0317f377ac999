// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.Map;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;

/**
 * A QR code as JSON a page can draw without a QR library of its own: {@code {size, modules}}, the
 * modules row by row as '1' (dark) and '0', quiet zone included.
 */
final class QrModules {
    private QrModules() {}

    static ObjectNode of(String text) {
        BitMatrix matrix;
        try {
            matrix = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.MARGIN, 2, EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M));
        } catch (WriterException e) {
            throw new IllegalArgumentException("too long for a QR code: " + e.getMessage(), e);
        }
        StringBuilder modules = new StringBuilder(matrix.getWidth() * matrix.getHeight());
        for (int y = 0; y < matrix.getHeight(); y++) {
            for (int x = 0; x < matrix.getWidth(); x++) {
                modules.append(matrix.get(x, y) ? '1' : '0');
            }
        }
        return JsonNodeFactory.instance.objectNode().put("size", matrix.getWidth()).put("modules", modules.toString());
    }
}
