// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs each step on its own virtual thread and waits for it at most the step's limit, cut to what
 * is left of the probe's {@link Deadline}, so that even a call with no timeout of its own (the
 * system resolver) cannot hold the probe. A step that overruns is interrupted, which closes its
 * sockets; a value it produces after that is closed, not leaked.
 */
final class StepRunner {
    private final Duration stepTimeout;
    private final Deadline deadline;

    StepRunner(Duration stepTimeout, Deadline deadline) {
        this.stepTimeout = stepTimeout;
        this.deadline = deadline;
    }

    Duration stepTimeout() {
        return stepTimeout;
    }

    @FunctionalInterface
    interface Step<T> {
        /** Does the work; {@code limit} is what the step may take, for the timeouts of its own calls. */
        T run(Duration limit) throws Exception;
    }

    /** The step's result, and what it produced when it succeeded (a socket to carry on with, a measurement). */
    record Outcome<T>(StepResult result, Optional<T> value) {
        boolean ok() {
            return result.ok();
        }
    }

    /** Runs {@code step} within {@link #stepTimeout()}; {@code describe} turns its value into the detail. */
    <T> Outcome<T> run(String name, Step<T> step, Function<T, String> describe) {
        return run(name, stepTimeout, step, describe);
    }

    <T> Outcome<T> run(String name, Duration wanted, Step<T> step, Function<T, String> describe) {
        Duration limit = deadline.cap(wanted);
        if (limit.isZero()) {
            return new Outcome<>(StepResult.failed(name, Failures.TIMEOUT, 0, "not tried: the probe's "
                    + Probe.TOTAL.toSeconds() + " s were used up"), Optional.empty());
        }
        long start = System.nanoTime();
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread worker = Thread.ofVirtual().name("svyaz-probe-" + name).start(() -> {
            try {
                T value = step.run(limit);
                if (!result.complete(value) && value instanceof AutoCloseable late) {
                    closeQuietly(late);
                }
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            T value = result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return new Outcome<>(StepResult.ok(name, elapsed(start), describe.apply(value)), Optional.ofNullable(value));
        } catch (TimeoutException e) {
            result.cancel(true);
            worker.interrupt();
            return new Outcome<>(StepResult.failed(name, Failures.TIMEOUT, elapsed(start),
                    "no answer within " + limit.toMillis() + " ms"), Optional.empty());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return new Outcome<>(StepResult.failed(name, Failures.of(cause), elapsed(start), Failures.sentence(cause)),
                    Optional.empty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.interrupt();
            return new Outcome<>(StepResult.failed(name, "interrupted", elapsed(start), "interrupted"), Optional.empty());
        }
    }

    private static long elapsed(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Nothing useful to do about a socket that will not close.
        }
    }
}
