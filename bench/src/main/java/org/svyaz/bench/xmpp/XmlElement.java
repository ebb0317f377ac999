// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One complete element of an XMPP stream (a stanza, a stream feature list, an SM ack) with its
 * children; built by {@link XmppStreamReader}. Attribute names are local names (no prefixes).
 *
 * @param text the element's own character data, concatenated; empty when it has none
 */
record XmlElement(String name, String namespace, Map<String, String> attributes, List<XmlElement> children,
                  String text) {
    boolean is(String name, String namespace) {
        return this.name.equals(name) && this.namespace.equals(namespace);
    }

    /** The attribute's value, or null when it is absent. */
    String attribute(String name) {
        return attributes.get(name);
    }

    Optional<XmlElement> child(String name, String namespace) {
        for (XmlElement child : children) {
            if (child.is(name, namespace)) {
                return Optional.of(child);
            }
        }
        return Optional.empty();
    }

    boolean hasChild(String name, String namespace) {
        return child(name, namespace).isPresent();
    }
}
