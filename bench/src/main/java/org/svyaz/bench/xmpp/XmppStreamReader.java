// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

import com.fasterxml.aalto.AsyncByteArrayFeeder;
import com.fasterxml.aalto.AsyncXMLInputFactory;
import com.fasterxml.aalto.AsyncXMLStreamReader;
import com.fasterxml.aalto.stax.InputFactoryImpl;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;

/**
 * Reads one XMPP stream as it arrives, with Aalto's non-blocking parser: the stream header, then
 * every complete top-level element (a stanza, features, an SM ack), then the stream's end. Runs on
 * the connection's event loop only. After STARTTLS and after SASL success the stream starts over:
 * {@link #restart()} gives it a fresh parser, as XMPP requires a new XML document then.
 */
final class XmppStreamReader extends ChannelInboundHandlerAdapter {
    interface Listener {
        /** The server's {@code <stream:stream>} header arrived. */
        void streamOpened();

        /** A complete child of the stream arrived. */
        void element(XmlElement element);

        /** The server closed its stream ({@code </stream:stream>}). */
        void streamClosed();

        /** The server sent bytes that are not well-formed XML; the connection is unusable. */
        void malformed(String problem);
    }

    private static final AsyncXMLInputFactory FACTORY = newFactory();

    private final Listener listener;
    private AsyncXMLStreamReader<AsyncByteArrayFeeder> parser = FACTORY.createAsyncForByteArray();
    /** Changes on every restart, so input fed to the previous parser is not read on. */
    private int generation;
    /** Elements still open below the stream element, innermost last. */
    private final Deque<ElementBuilder> open = new ArrayDeque<>();
    private boolean streamOpen;

    XmppStreamReader(Listener listener) {
        this.listener = listener;
    }

    private static AsyncXMLInputFactory newFactory() {
        AsyncXMLInputFactory factory = new InputFactoryImpl();
        // XMPP forbids DTDs; never resolve entities the server might declare.
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        return factory;
    }

    /** Starts a new XML document: called by the listener when the stream restarts. */
    void restart() {
        parser = FACTORY.createAsyncForByteArray();
        open.clear();
        streamOpen = false;
        generation++;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        ByteBuf buffer = (ByteBuf) message;
        try {
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.readBytes(bytes);
            feed(bytes);
        } finally {
            buffer.release();
        }
    }

    private void feed(byte[] bytes) {
        int feeding = generation;
        try {
            parser.getInputFeeder().feedInput(bytes, 0, bytes.length);
            int event;
            while ((event = parser.next()) != AsyncXMLStreamReader.EVENT_INCOMPLETE) {
                handle(event);
                if (generation != feeding) {
                    // The stream restarted; the server sends nothing more until it has our new header.
                    return;
                }
            }
        } catch (XMLStreamException e) {
            listener.malformed(e.getMessage());
        }
    }

    private void handle(int event) {
        switch (event) {
            case XMLStreamConstants.START_ELEMENT -> {
                if (!streamOpen) {
                    streamOpen = true;
                    listener.streamOpened();
                } else {
                    open.addLast(new ElementBuilder(parser));
                }
            }
            case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                // Whitespace between stanzas (keepalives) belongs to no element and is dropped.
                if (!open.isEmpty()) {
                    open.peekLast().text.append(parser.getText());
                }
            }
            case XMLStreamConstants.END_ELEMENT -> {
                if (open.isEmpty()) {
                    streamOpen = false;
                    listener.streamClosed();
                    return;
                }
                XmlElement element = open.removeLast().build();
                if (open.isEmpty()) {
                    listener.element(element);
                } else {
                    open.peekLast().children.add(element);
                }
            }
            case XMLStreamConstants.END_DOCUMENT -> listener.streamClosed();
            default -> {
                // The XML declaration, comments, processing instructions: nothing XMPP uses.
            }
        }
    }

    private static final class ElementBuilder {
        final String name;
        final String namespace;
        final Map<String, String> attributes;
        final List<XmlElement> children = new ArrayList<>(2);
        final StringBuilder text = new StringBuilder();

        ElementBuilder(AsyncXMLStreamReader<?> parser) {
            name = parser.getLocalName();
            String uri = parser.getNamespaceURI();
            namespace = uri == null ? "" : uri;
            int count = parser.getAttributeCount();
            attributes = count == 0 ? Map.of() : new LinkedHashMap<>(count * 2);
            for (int i = 0; i < count; i++) {
                attributes.put(parser.getAttributeLocalName(i), parser.getAttributeValue(i));
            }
        }

        XmlElement build() {
            return new XmlElement(name, namespace, attributes, children, text.toString());
        }
    }
}
