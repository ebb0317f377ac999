// SPDX-License-Identifier: AGPL-3.0-only
// Hands each received envelope to whichever screen listens now, and tells it when the daemon is
// back after being away (it restarted, or the computer slept): what came meanwhile is fetched anew.

const listeners = new Set();
const reconnectListeners = new Set();

export const events = {
  /** Adds a listener; returns a function that removes it. */
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  publish(received) {
    for (const listener of [...listeners]) {
      listener(received);
    }
  },
  /** Called once each time the event stream comes back after it was lost. */
  onReconnect(listener) {
    reconnectListeners.add(listener);
  },
  reconnected() {
    for (const listener of [...reconnectListeners]) {
      listener();
    }
  },
  clear() {
    listeners.clear();
    reconnectListeners.clear();
  },
};
