// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Response;

class PendingRequestsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Its event loop is the timer; the test moves its clock. */
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final PendingRequests pending = new PendingRequests(loop.eventLoop());

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    @Test
    void aResponseCompletesTheRequestWithItsId() {
        PendingRequests.Pending first = pending.register();
        PendingRequests.Pending second = pending.register();
        assertThat(first.id()).isEqualTo(1);
        assertThat(second.id()).isEqualTo(2);

        assertThat(pending.complete(answer(2))).isTrue();

        assertThat(second.response()).isCompletedWithValue(answer(2));
        assertThat(first.response()).isNotDone();
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    void aResponseWithAnUnknownIdIsIgnored() {
        PendingRequests.Pending waiting = pending.register();

        assertThat(pending.complete(answer(99))).isFalse();

        assertThat(waiting.response()).isNotDone();
        assertThat(pending.size()).isEqualTo(1);
        // A second answer to the same request is unknown too.
        assertThat(pending.complete(answer(waiting.id()))).isTrue();
        assertThat(pending.complete(answer(waiting.id()))).isFalse();
    }

    @Test
    void aRequestNotAnsweredInTimeFailsAndItsLateAnswerIsIgnored() {
        PendingRequests.Pending request = pending.register(TIMEOUT);

        pass(TIMEOUT.minusSeconds(1));
        assertThat(request.response()).isNotDone();

        pass(Duration.ofSeconds(2));
        assertThat(request.response()).failsWithin(Duration.ZERO)
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
        assertThat(pending.size()).isZero();
        assertThat(pending.complete(answer(request.id()))).isFalse();
    }

    @Test
    void anAnswerInTimeStopsTheTimer() {
        PendingRequests.Pending request = pending.register(TIMEOUT);
        pending.complete(answer(request.id()));

        assertThat(loop.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
        pass(TIMEOUT.plusSeconds(1));
        assertThat(request.response()).isCompletedWithValue(answer(request.id()));
    }

    @Test
    void aRequestWithoutTimeoutWaitsAsLongAsTheConnection() {
        PendingRequests.Pending request = pending.register();
        pass(Duration.ofDays(1));
        assertThat(request.response()).isNotDone();
    }

    @Test
    void aFailedWriteFailsOnlyItsRequest() {
        PendingRequests.Pending failed = pending.register();
        PendingRequests.Pending other = pending.register();
        IOException cause = new IOException("write failed");

        assertThat(pending.fail(failed.id(), cause)).isTrue();

        assertThat(failed.response()).isCompletedExceptionally();
        assertThat(causeOf(failed.response())).isSameAs(cause);
        assertThat(other.response()).isNotDone();
        assertThat(pending.fail(failed.id(), cause)).isFalse();
    }

    @Test
    void closingFailsEveryRequestAndEveryLaterOne() {
        PendingRequests.Pending first = pending.register();
        PendingRequests.Pending timed = pending.register(TIMEOUT);
        IOException closed = new IOException("connection closed");

        pending.failAll(closed);

        assertThat(causeOf(first.response())).isSameAs(closed);
        assertThat(causeOf(timed.response())).isSameAs(closed);
        assertThat(pending.size()).isZero();
        PendingRequests.Pending late = pending.register();
        assertThat(causeOf(late.response())).isSameAs(closed);
        assertThat(late.id()).isEqualTo(3);
        assertThat(pending.size()).isZero();
    }

    private void pass(Duration time) {
        loop.advanceTimeBy(time.toMillis(), TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    private static Response answer(long id) {
        return Response.newBuilder().setId(id).setError(ErrorCode.OK).build();
    }

    private static Throwable causeOf(CompletableFuture<Response> failed) {
        assertThat(failed).isCompletedExceptionally();
        return failed.handle((response, failure) -> failure).join();
    }
}
