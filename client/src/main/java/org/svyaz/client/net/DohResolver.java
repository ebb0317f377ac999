// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Looks up a name with DNS over HTTPS (RFC 8484, POST of a wire-format query). A censor that
 * answers or intercepts plain DNS sees only a TLS connection to the resolver.
 *
 * <p>A resolver URL may pin the resolver's TLS key with a fragment {@code #spki-sha256=BASE64URL}
 * (SHA-256 of the public key); without it the system's certificate authorities vouch for it.
 * The pin lets a descriptor name a resolver by address, so that finding the resolver does not
 * itself need DNS.
 */
public final class DohResolver {
    private static final String PIN_PREFIX = "spki-sha256=";
    private static final String MEDIA_TYPE = "application/dns-message";
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    private final URI uri;
    private final Optional<byte[]> pin;

    private DohResolver(URI uri, Optional<byte[]> pin) {
        this.uri = uri;
        this.pin = pin;
    }

    /** Parses {@code https://host[:port]/path[#spki-sha256=PIN]}; throws IllegalArgumentException with the reason. */
    public static DohResolver parse(String url) {
        URI parsed;
        try {
            parsed = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getReason());
        }
        if (!"https".equalsIgnoreCase(parsed.getScheme()) || parsed.getHost() == null) {
            throw new IllegalArgumentException("a DNS-over-HTTPS resolver needs an https:// URL with a host");
        }
        Optional<byte[]> pin = Optional.empty();
        String fragment = parsed.getRawFragment();
        if (fragment != null) {
            if (!fragment.startsWith(PIN_PREFIX)) {
                throw new IllegalArgumentException("the only fragment a resolver URL may carry is #" + PIN_PREFIX + "PIN");
            }
            byte[] hash;
            try {
                hash = Base64.getUrlDecoder().decode(fragment.substring(PIN_PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the resolver's pin is not base64url");
            }
            if (hash.length != 32) {
                throw new IllegalArgumentException("the resolver's pin must be a 32-byte SHA-256 hash");
            }
            pin = Optional.of(hash);
        }
        try {
            URI withoutFragment = new URI(parsed.getScheme(), parsed.getRawAuthority(), parsed.getRawPath(),
                    parsed.getRawQuery(), null);
            return new DohResolver(withoutFragment, pin);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getReason());
        }
    }

    /** The resolver's URL without its pin, for messages. */
    public String describe() {
        return uri.toString();
    }

    /**
     * The IPv4 and IPv6 addresses of {@code name}, IPv4 first. NXDOMAIN and an empty answer are an
     * {@link UnknownHostException}; a resolver that cannot be reached, answers garbage or too late
     * is an {@link IOException} saying so.
     */
    public List<InetAddress> resolve(String name, Duration timeout) throws IOException, InterruptedException {
        try (HttpClient http = client(timeout)) {
            return resolve(http, name, timeout);
        }
    }

    private List<InetAddress> resolve(HttpClient http, String name, Duration timeout)
            throws IOException, InterruptedException {
        // Both questions at once: a lookup costs one round trip, not two.
        CompletableFuture<Message> a = ask(http, name, Type.A, timeout);
        CompletableFuture<Message> aaaa = ask(http, name, Type.AAAA, timeout);
        List<InetAddress> addresses = new ArrayList<>();
        int nxdomain = 0;
        for (CompletableFuture<Message> question : List.of(a, aaaa)) {
            Message answer;
            try {
                answer = question.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(describe() + " failed: " + Causes.rootMessage(e.getCause()), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException(describe() + " did not answer within " + timeout.toMillis() + " ms", e);
            }
            if (answer.getRcode() == Rcode.NXDOMAIN) {
                nxdomain++;
                continue;
            }
            if (answer.getRcode() != Rcode.NOERROR) {
                throw new IOException(describe() + " answered " + Rcode.string(answer.getRcode()) + " for " + name);
            }
            for (Record record : answer.getSection(Section.ANSWER)) {
                if (record instanceof ARecord v4 && question == a) {
                    addresses.add(v4.getAddress());
                } else if (record instanceof AAAARecord v6 && question == aaaa) {
                    addresses.add(v6.getAddress());
                }
            }
        }
        if (addresses.isEmpty()) {
            throw new UnknownHostException(name + ": " + (nxdomain > 0 ? "NXDOMAIN" : "no address") + " from " + describe());
        }
        return List.copyOf(addresses);
    }

    private CompletableFuture<Message> ask(HttpClient http, String name, int type, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return query(http, name, type, timeout);
            } catch (IOException e) {
                throw new CompletionException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CompletionException(new IOException("interrupted", e));
            }
        }, command -> Thread.ofVirtual().start(command));
    }

    private Message query(HttpClient http, String name, int type, Duration timeout)
            throws IOException, InterruptedException {
        Message query;
        try {
            query = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        } catch (TextParseException e) {
            throw new UnknownHostException(name + " is not a valid DNS name");
        }
        // RFC 8484 asks for ID 0 so that identical queries can be cached.
        query.getHeader().setID(0);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", MEDIA_TYPE)
                .header("Accept", MEDIA_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(query.toWire()))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new IOException(describe() + " did not answer within " + timeout.toMillis() + " ms", e);
        } catch (IOException e) {
            throw new IOException(describe() + " cannot be reached: " + Causes.rootMessage(e), e);
        }
        if (response.statusCode() != 200) {
            throw new IOException(describe() + " answered HTTP " + response.statusCode());
        }
        byte[] body = response.body();
        if (body.length > MAX_ANSWER_BYTES) {
            throw new IOException(describe() + " sent an oversized answer");
        }
        Message answer;
        try {
            answer = new Message(body);
        } catch (IOException e) {
            throw new IOException(describe() + " sent an answer that is not DNS", e);
        }
        Record question = answer.getQuestion();
        if (question == null || question.getType() != type || !question.getName().equals(query.getQuestion().getName())) {
            throw new IOException(describe() + " answered a different question");
        }
        return answer;
    }

    private HttpClient client(Duration timeout) throws IOException {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (pin.isPresent()) {
            try {
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {new PinnedTrustManager(List.of(pin.get()))}, null);
                builder.sslContext(context);
            } catch (GeneralSecurityException e) {
                throw new IOException("TLS is not available in this Java runtime", e);
            }
        }
        return builder.build();
    }

}
