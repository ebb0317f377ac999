// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.daemon.RpcConnection;

/**
 * Calls with answers over one daemon connection: each request gets a number, and its answer
 * completes the future of that number. Notifications ({@code receive}) only mark the time of the
 * last one, which tells when a daemon has gone quiet.
 */
final class RpcCalls implements RpcConnection.Listener {
    /** One call of a windowed batch: the method and its parameters. */
    record Request(String method, ObjectNode params) {}

    private final String name;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong lastNotification = new AtomicLong(System.nanoTime());
    private volatile RpcConnection connection;

    RpcCalls(String name) {
        this.name = name;
    }

    void attach(RpcConnection opened) {
        this.connection = opened;
    }

    long lastNotificationNanos() {
        return lastNotification.get();
    }

    @Override
    public void line(JsonNode message, long readNanos) {
        if (message.has("method")) {
            lastNotification.set(readNanos);
            return;
        }
        CompletableFuture<JsonNode> waiting = pending.remove(message.path("id").asLong(-1));
        if (waiting == null) {
            return;
        }
        JsonNode error = message.get("error");
        if (error != null && !error.isNull()) {
            waiting.completeExceptionally(new IOException("error " + error.path("code").asInt() + ": "
                    + error.path("message").asText()));
        } else {
            waiting.complete(message.path("result"));
        }
    }

    /** Sends one request; the future completes with its result, or exceptionally with its error. */
    CompletableFuture<JsonNode> call(String method, ObjectNode params) {
        long id = nextId.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode request = RpcConnection.JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id)
                .put("method", method);
        request.set("params", params);
        try {
            connection.write(request);
        } catch (IOException e) {
            pending.remove(id);
            answer.completeExceptionally(e);
        }
        return answer;
    }

    /** One call, waited for at most {@code timeout}. */
    JsonNode result(String method, ObjectNode params, Duration timeout) throws BenchException, InterruptedException {
        try {
            return call(method, params).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new BenchException(name + ": " + method + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new BenchException(name + ": no answer to " + method + " within " + timeout.toSeconds() + " s.", e);
        }
    }

    /**
     * {@code count} calls made by {@code request}, at most {@code window} unanswered; each answer goes
     * to {@code answered} (on the reader thread). Fails on the first error, or when no answer comes
     * for {@code answerTimeout}; reports progress every {@code every} answers.
     */
    void windowed(String what, int count, int window, IntFunction<Request> request, Consumer<JsonNode> answered,
                  Duration answerTimeout, int every, Consumer<String> progress)
            throws BenchException, InterruptedException {
        Semaphore free = new Semaphore(window);
        CompletableFuture<Void> failed = new CompletableFuture<>();
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < count && !failed.isDone(); i++) {
            if (!free.tryAcquire(answerTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchException(name + ": no answer for " + answerTimeout.toSeconds() + " s during " + what
                        + ".", null);
            }
            Request next = request.apply(i);
            call(next.method(), next.params()).whenComplete((result, error) -> {
                try {
                    if (error != null) {
                        failed.completeExceptionally(error);
                    } else {
                        answered.accept(result);
                        long n = done.incrementAndGet();
                        if (n % every == 0 || n == count) {
                            progress.accept(String.format("%s: %d of %d in %.0f s", what, n, count,
                                    (System.nanoTime() - start) / 1e9));
                        }
                    }
                } catch (RuntimeException e) {
                    failed.completeExceptionally(e);
                } finally {
                    free.release();
                }
            });
        }
        if (!free.tryAcquire(window, answerTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new BenchException(name + ": the last answers of " + what + " did not come within "
                    + answerTimeout.toSeconds() + " s.", null);
        }
        if (failed.isCompletedExceptionally()) {
            Throwable cause = failed.exceptionNow();
            throw new BenchException(name + ": " + what + " failed: " + cause.getMessage(), cause);
        }
    }
}
