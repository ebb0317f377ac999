// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small method table for the engine's tests:
 * <ul>
 *   <li>{@code echo(text)} returns the text;</li>
 *   <li>{@code gather(n)} blocks until {@link #expectGathering} many gather calls arrived, then returns n:
 *       only concurrent calls can all finish;</li>
 *   <li>{@code hold} blocks until {@link #releaseHeld}, counting starts and completions;</li>
 *   <li>{@code touch} counts its calls and returns null;</li>
 *   <li>{@code typed} reads every kind of parameter;</li>
 *   <li>{@code fail} throws a rate-limit RpcException with data; {@code crash} a RuntimeException.</li>
 * </ul>
 */
final class TestMethods {
    static final String SECRET = "/home/alice/secret";

    final AtomicInteger touched = new AtomicInteger();
    final AtomicInteger heldStarted = new AtomicInteger();
    final AtomicInteger heldCompleted = new AtomicInteger();
    private final CountDownLatch held = new CountDownLatch(1);
    private volatile CountDownLatch gathering = new CountDownLatch(0);

    /** The next {@code count} gather calls wait for each other. */
    void expectGathering(int count) {
        gathering = new CountDownLatch(count);
    }

    void releaseHeld() {
        held.countDown();
    }

    List<RpcMethod> methods() {
        return List.of(
                method("echo", List.of(RpcParam.required("text", RpcParam.Type.STRING, "What to send back.")),
                        call -> TextNode.valueOf(call.string("text"))),
                method("gather", List.of(RpcParam.required("n", RpcParam.Type.INTEGER, "Returned as is.")), call -> {
                    CountDownLatch latch = gathering;
                    latch.countDown();
                    if (!latch.await(30, TimeUnit.SECONDS)) {
                        throw RpcException.userError("not enough concurrent calls");
                    }
                    return JsonNodeFactory.instance.numberNode(call.optionalLong("n").orElseThrow());
                }),
                method("hold", List.of(), call -> {
                    heldStarted.incrementAndGet();
                    held.await(30, TimeUnit.SECONDS);
                    heldCompleted.incrementAndGet();
                    return TextNode.valueOf("released");
                }),
                method("touch", List.of(), call -> {
                    touched.incrementAndGet();
                    return null;
                }),
                method("typed", List.of(
                        RpcParam.required("name", RpcParam.Type.STRING, "A required string."),
                        RpcParam.optional("recipients", RpcParam.Type.ARRAY, "One or more strings."),
                        RpcParam.optional("timestamp", RpcParam.Type.INTEGER, "A long."),
                        RpcParam.optional("count", RpcParam.Type.INTEGER, "An int."),
                        RpcParam.optional("flag", RpcParam.Type.BOOLEAN, "A boolean.")), call -> {
                    ObjectNode result = JsonNodeFactory.instance.objectNode();
                    result.put("name", call.string("name"));
                    call.stringList("recipients").forEach(result.putArray("recipients")::add);
                    result.put("timestamp", call.optionalLong("timestamp").orElse(-1));
                    result.put("count", call.optionalInt("count").orElse(-1));
                    result.put("flag", call.bool("flag", false));
                    return result;
                }),
                method("fail", List.of(), call -> {
                    ObjectNode data = JsonNodeFactory.instance.objectNode().put("retryAfterSeconds", 30);
                    throw new RpcException(RpcErrorCode.RATE_LIMITED, "slow down", data);
                }),
                method("crash", List.of(), call -> {
                    throw new IllegalStateException("cannot open " + SECRET);
                }));
    }

    MethodTable table(ReceiveHub hub) {
        return new MethodTable(methods(), hub);
    }

    static RpcMethod method(String name, List<RpcParam> params, RpcMethod.Body body) {
        return RpcMethod.of(name, "Test method " + name + ".", params, body);
    }
}
