// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.mqtt;

/**
 * What one benchmark user logs in to the broker with. The users and passwords are the ones
 * {@code bench/peers/mosquitto.sh} provisions: user i is {@code u<i>} with password {@code bench-<i>}.
 * They protect nothing (a loopback broker made for one run); they exist so the broker does the
 * password check a real deployment would.
 */
record MqttCredentials(String clientId, String username, String password) {
    static MqttCredentials ofUser(int user) {
        String name = "u" + user;
        return new MqttCredentials(name, name, "bench-" + user);
    }

    /** Never prints the password, nor the name: error messages and logs name users by number only. */
    @Override
    public String toString() {
        return "MqttCredentials[hidden]";
    }
}
