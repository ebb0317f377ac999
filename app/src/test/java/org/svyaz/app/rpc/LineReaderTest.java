// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Line splitting, the length cap, and going on after an oversized line. */
class LineReaderTest {
    @Test
    void linesEndAtNewlineWithOrWithoutCarriageReturnAndTheLastNeedsNone() throws Exception {
        LineReader reader = reader("one\ntwo\r\n\nthree", 100);

        assertThat(reader.readLine()).isEqualTo("one");
        assertThat(reader.readLine()).isEqualTo("two");
        assertThat(reader.readLine()).isEmpty();
        assertThat(reader.readLine()).isEqualTo("three");
        assertThat(reader.readLine()).isNull();
    }

    @Test
    void utf8SpansBufferBoundaries() throws Exception {
        String text = "й".repeat(10_000);

        assertThat(reader(text + "\n", 1 << 20).readLine()).isEqualTo(text);
    }

    @Test
    void anOversizedLineIsSkippedAndTheNextOneIsRead() throws Exception {
        LineReader reader = reader("x".repeat(50_000) + "\nafter\n", 1_000);

        assertThatThrownBy(reader::readLine).isInstanceOf(OversizedLineException.class).hasMessageContaining("1000 bytes");
        assertThat(reader.readLine()).isEqualTo("after");
        assertThat(reader.readLine()).isNull();
    }

    @Test
    void theLimitIsExact() throws Exception {
        LineReader reader = reader("x".repeat(10) + "\r\n" + "y".repeat(11) + "\n" + "z".repeat(11), 10);

        assertThat(reader.readLine()).hasSize(10);
        assertThatThrownBy(reader::readLine).isInstanceOf(OversizedLineException.class);
        assertThatThrownBy(reader::readLine).isInstanceOf(OversizedLineException.class);
        assertThat(reader.readLine()).isNull();
    }

    private static LineReader reader(String text, int max) {
        return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max);
    }
}
