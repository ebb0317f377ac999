// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/**
 * The group a received message belongs to, as this device knows the group now.
 *
 * @param id the group id as {@code listGroups} shows it (base64)
 * @param update the message changed the group (title, members or admins) rather than saying something
 */
public record GroupInfo(String id, String title, int revision, boolean update) {}
