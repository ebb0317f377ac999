// SPDX-License-Identifier: AGPL-3.0-only
// Hands each received envelope to whichever screen listens now.

const listeners = new Set();

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
  clear() {
    listeners.clear();
  },
};
