// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.svyaz.server.identity.ServerIdentity;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A DNS-over-HTTPS resolver for tests: answers A/AAAA queries for a fixed table of names over TLS
 * with a key pinned in its URL, and NXDOMAIN for everything else. It can be told to lie by giving
 * it a wrong table. Runs in-process or, via {@link #main}, as a process inside a lab namespace.
 */
public final class DohTestServer implements AutoCloseable {
    private final HttpsServer server;
    private final String url;
    private final Map<String, List<InetAddress>> answers;
    private final AtomicInteger queries = new AtomicInteger();

    private DohTestServer(HttpsServer server, String url, Map<String, List<InetAddress>> answers) {
        this.server = server;
        this.url = url;
        this.answers = answers;
    }

    /** Starts on {@code listen} with a key kept in {@code keyDir}; {@code answers} maps names to addresses. */
    public static DohTestServer start(InetSocketAddress listen, Path keyDir, Map<String, List<InetAddress>> answers)
            throws Exception {
        java.nio.file.Files.createDirectories(keyDir);
        ServerIdentity identity = ServerIdentity.loadOrCreate(keyDir);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = "doh".toCharArray();
        keys.setKeyEntry("doh", identity.tlsKey(), password, new Certificate[] {identity.tlsCertificate()});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);

        HttpsServer server = HttpsServer.create(listen, 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Map<String, List<InetAddress>> table = new ConcurrentHashMap<>();
        answers.forEach((name, addresses) -> table.put(normalise(name), List.copyOf(addresses)));
        String host = listen.getAddress().getHostAddress();
        String url = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getAddress().getPort()
                + "/dns-query#spki-sha256=" + Base64.getUrlEncoder().withoutPadding().encodeToString(identity.tlsKeyPin());
        DohTestServer doh = new DohTestServer(server, url, table);
        server.createContext("/dns-query", doh::handle);
        server.start();
        return doh;
    }

    /** The URL a client needs, pin included. */
    public String url() {
        return url;
    }

    /** How many DNS questions were asked so far. */
    public int queries() {
        return queries.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(4096);
            }
            Message query;
            try {
                query = new Message(body);
            } catch (IOException e) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            queries.incrementAndGet();
            byte[] answer = answer(query).toWire();
            exchange.getResponseHeaders().set("Content-Type", "application/dns-message");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    private Message answer(Message query) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        Record question = query.getQuestion();
        response.addRecord(question, Section.QUESTION);
        List<InetAddress> addresses = answers.get(normalise(question.getName().toString()));
        if (addresses == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            return response;
        }
        Name name = question.getName();
        for (InetAddress address : addresses) {
            if (question.getType() == Type.A && address.getAddress().length == 4) {
                response.addRecord(new ARecord(name, DClass.IN, 60, address), Section.ANSWER);
            } else if (question.getType() == Type.AAAA && address.getAddress().length == 16) {
                response.addRecord(new AAAARecord(name, DClass.IN, 60, address), Section.ANSWER);
            }
        }
        return response;
    }

    private static String normalise(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /**
     * {@code DohTestServer LISTEN_IP:PORT KEY_DIR NAME=IP[,IP...]...}: runs until killed and prints
     * its URL on the first line of standard output.
     */
    public static void main(String[] args) throws Exception {
        String listen = args[0];
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(listen.substring(0, colon)),
                Integer.parseInt(listen.substring(colon + 1)));
        Map<String, List<InetAddress>> answers = new java.util.HashMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] entry = args[i].split("=", 2);
            List<InetAddress> addresses = new java.util.ArrayList<>();
            for (String ip : entry[1].split(",")) {
                addresses.add(InetAddress.getByName(ip));
            }
            answers.put(entry[0], addresses);
        }
        DohTestServer server = start(address, Path.of(args[1]), answers);
        System.out.println(server.url());
        System.out.flush();
        Thread.currentThread().join();
    }
}
