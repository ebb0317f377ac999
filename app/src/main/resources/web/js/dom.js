// SPDX-License-Identifier: AGPL-3.0-only
// Builds elements; text always goes in as text, never as HTML, so a message cannot inject markup.

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on')) {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

/** What the screen shown now must do when another replaces it (let the microphone go, stop watching). */
const onLeave = [];

/** Runs {@code action} when the screen shown now is replaced; call it after that screen's show(). */
export function whenLeft(action) {
  onLeave.push(action);
}

/** Replaces what the main area shows. */
export function show(...children) {
  for (const action of onLeave.splice(0)) {
    action();
  }
  const main = document.getElementById('app');
  // A screen that takes dropped files sets these again after showing itself.
  main.ondragover = null;
  main.ondrop = null;
  // A screen laid out on its own (the conversation) marks itself again after showing itself.
  main.removeAttribute('class');
  main.replaceChildren(...children);
  main.removeAttribute('aria-busy');
}
