// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;

/** Routes a request to its endpoint by path and turns every outcome into a Response. */
public final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Every kind of handler, seen the same way: the caller (null if anonymous) and the connection's id. */
    @FunctionalInterface
    private interface Handler {
        Message handle(Caller caller, UUID connectionId, ByteString body) throws ApiException;
    }

    private record Route(Handler handler, boolean anonymous) {}

    private final Map<String, Route> routes = new HashMap<>();
    private final MeterRegistry metrics;

    public Dispatcher(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** A path only authenticated devices may call. */
    public Dispatcher authenticated(String path, RequestHandler handler) {
        routes.put(path, new Route((caller, connectionId, body) -> handler.handle(caller, body), false));
        return this;
    }

    /** A path any connection may call, authenticated or not. */
    public Dispatcher anonymous(String path, RequestHandler handler) {
        routes.put(path, new Route((caller, connectionId, body) -> handler.handle(caller, body), true));
        return this;
    }

    /** A path any connection may call, whose handler keeps its limits per connection. */
    public Dispatcher anonymousPerConnection(String path, ConnectionRequestHandler handler) {
        routes.put(path, new Route((caller, connectionId, body) -> handler.handle(connectionId, body), true));
        return this;
    }

    /** {@code connectionId}: random per connection, see {@link ConnectionRequestHandler}. */
    public Response dispatch(Caller caller, UUID connectionId, Request request) {
        Route route = routes.get(request.getPath());
        Response response;
        if (route == null) {
            response = error(request, ErrorCode.NOT_FOUND, "There is no such API path.");
        } else if (caller == null && !route.anonymous()) {
            response = error(request, ErrorCode.UNAUTHORIZED, "This request needs an authenticated connection.");
        } else {
            response = invoke(route, caller, connectionId, request);
        }
        String path = route == null ? "unknown" : request.getPath();
        metrics.counter("svyaz.requests", "path", path, "outcome", response.getError().name()).increment();
        return response;
    }

    private static Response invoke(Route route, Caller caller, UUID connectionId, Request request) {
        try {
            return Response.newBuilder()
                    .setId(request.getId())
                    .setError(ErrorCode.OK)
                    .setBody(route.handler().handle(caller, connectionId, request.getBody()).toByteString())
                    .build();
        } catch (ApiException e) {
            return Response.newBuilder()
                    .setId(request.getId())
                    .setError(e.code())
                    .setMessage(e.getMessage())
                    .setBody(e.detail())
                    .build();
        } catch (RuntimeException e) {
            log.error("request on {} failed unexpectedly", request.getPath(), e);
            return error(request, ErrorCode.INTERNAL, "The server failed to handle this request.");
        }
    }

    private static Response error(Request request, ErrorCode code, String message) {
        return Response.newBuilder().setId(request.getId()).setError(code).setMessage(message).build();
    }
}
