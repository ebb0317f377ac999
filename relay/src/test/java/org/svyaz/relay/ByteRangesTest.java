// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.svyaz.relay.ByteRanges.Answer;
import org.svyaz.relay.ByteRanges.Span;

/** Range headers read as nginx reads them, for a file of 100 bytes. */
class ByteRangesTest {
    private static Answer parse(String header) {
        return ByteRanges.parse(header, 100);
    }

    private static Answer spans(Span... spans) {
        return new Answer(false, List.of(spans));
    }

    @Test
    void oneOrSeveralRangesInsideTheFile() {
        assertThat(parse("bytes=0-9")).isEqualTo(spans(new Span(0, 10)));
        assertThat(parse("bytes=90-")).isEqualTo(spans(new Span(90, 100)));
        assertThat(parse("bytes=-5")).isEqualTo(spans(new Span(95, 100)));
        assertThat(parse("bytes=95-200")).as("clipped to the file").isEqualTo(spans(new Span(95, 100)));
        assertThat(parse("BYTES= 0 - 1 , 4-5")).isEqualTo(spans(new Span(0, 2), new Span(4, 6)));
        assertThat(parse("bytes=-500")).as("a suffix longer than the file").isEqualTo(spans(new Span(0, 100)));
    }

    @Test
    void rangesBeyondTheFileAreDroppedAndNoneLeftIs416() {
        assertThat(parse("bytes=0-1,200-300")).isEqualTo(spans(new Span(0, 2)));
        assertThat(parse("bytes=100-")).isEqualTo(Answer.NOT_SATISFIABLE);
        assertThat(parse("bytes=-0")).isEqualTo(Answer.NOT_SATISFIABLE);
    }

    @Test
    void malformedIs416AndAnotherUnitOrTooMuchIsTheWholeFile() {
        for (String malformed : List.of("bytes=", "bytes=abc", "bytes=1-2-3", "bytes=5", "bytes=1-x",
                "bytes=99999999999999999999-")) {
            assertThat(parse(malformed)).as(malformed).isEqualTo(Answer.NOT_SATISFIABLE);
        }
        assertThat(parse(null)).isEqualTo(Answer.WHOLE);
        assertThat(parse("items=0-1")).isEqualTo(Answer.WHOLE);
        assertThat(parse("bytes=0-60,40-99")).as("more than the file in all").isEqualTo(Answer.WHOLE);
        assertThat(ByteRanges.parse("bytes=0-", 0)).as("an empty file").isEqualTo(Answer.WHOLE);
    }
}
