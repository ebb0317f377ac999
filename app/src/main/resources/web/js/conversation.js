// SPDX-License-Identifier: AGPL-3.0-only
// One conversation: its history, what arrives live (messages, receipts, reactions, typing) and sending.
import {call} from './api.js';
import {el, show} from './dom.js';
import {formatTime, t} from './i18n.js';
import {events} from './events.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
const TYPING_SHOWN_MILLIS = 15000;


/** The state of a sent message as ticks: sent, delivered, read. */
function tick(message) {
  if (message.readAt) {
    return {symbol: '✓✓', state: 'read'};
  }
  if (message.deliveredAt) {
    return {symbol: '✓✓', state: 'delivered'};
  }
  return {symbol: '✓', state: 'sent'};
}

export async function showConversation(account, contact, onBack) {
  events.clear();
  /** Messages by "author/timestamp" (author: the username, or account for this one's). */
  const byKey = new Map();
  const list = el('ol', {class: 'messages', 'aria-live': 'polite'});
  const typing = el('p', {class: 'typing', hidden: true}, t('conversation.typing', {name: contact}));
  const error = el('p', {class: 'error', role: 'alert'});
  let typingTimer = null;

  const keyOf = (outgoing, timestamp) => `${outgoing ? account : contact}/${timestamp}`;

  function render(message) {
    const reactions = Object.entries(message.reactions || {});
    const picker = el('div', {class: 'reaction-picker', hidden: true, role: 'group',
      'aria-label': t('conversation.reactWith')},
    REACTIONS.map(emoji => el('button', {type: 'button', class: 'emoji', 'aria-label': emoji,
      onclick: () => react(message, emoji)}, emoji)));
    const meta = el('p', {class: 'meta'},
      el('time', {datetime: new Date(message.timestamp).toISOString()}, formatTime(message.timestamp)));
    if (message.outgoing) {
      const state = tick(message);
      meta.append(' ', el('span', {class: `tick ${state.state}`, 'data-state': state.state,
        title: t(`tick.${state.state}`), 'aria-label': t(`tick.${state.state}`)}, state.symbol));
    }
    return el('li', {class: message.outgoing ? 'message outgoing' : 'message incoming',
      'data-timestamp': message.timestamp},
    el('p', {class: 'body'}, message.body ?? ''),
    meta,
    reactions.length === 0 ? null : el('p', {class: 'reactions', 'aria-label': t('conversation.reactions')},
      reactions.map(([who, emoji]) => el('span', {class: 'reaction', title: who}, emoji))),
    el('button', {type: 'button', class: 'react', 'aria-label': t('conversation.react'),
      onclick: () => {
        picker.hidden = !picker.hidden;
      }}, '☺'),
    picker);
  }

  function put(message) {
    const key = keyOf(message.outgoing, message.timestamp);
    const element = render(message);
    const known = byKey.get(key);
    if (known) {
      known.element.replaceWith(element);
    } else {
      list.append(element);
    }
    byKey.set(key, {message, element});
  }

  function change(outgoing, timestamp, update) {
    const known = byKey.get(keyOf(outgoing, timestamp));
    if (known) {
      put({...known.message, ...update(known.message)});
    }
  }

  async function react(message, emoji) {
    try {
      await call('sendReaction', {account, recipient: contact, emoji,
        targetAuthor: message.outgoing ? account : contact, targetTimestamp: message.timestamp});
      change(message.outgoing, message.timestamp, m => ({reactions: {...m.reactions, [account]: emoji}}));
    } catch (e) {
      error.textContent = t('conversation.failed', {reason: e.message});
    }
  }

  /**
   * Marks messages read here and tells the contact (the daemon sends delivery receipts by itself).
   * Only while the page is visible: a message in a background tab has not been read.
   */
  function markRead(timestamps) {
    if (timestamps.length > 0 && document.visibilityState === 'visible') {
      call('sendReceipt', {account, recipient: contact, type: 'read', targetTimestamp: timestamps})
        .catch(e => {
          error.textContent = e.message;
        });
    }
  }

  const text = el('textarea', {id: 'compose', name: 'message', rows: 2, 'aria-label': t('conversation.compose'),
    placeholder: t('conversation.compose')});
  const send = el('button', {type: 'submit'}, t('conversation.send'));
  const form = el('form', {class: 'compose', onsubmit: async event => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body) {
      return;
    }
    send.disabled = true;
    error.textContent = t('conversation.sending');
    try {
      const result = await call('send', {account, recipient: [contact], message: body});
      put({outgoing: true, timestamp: result.timestamp, body, reactions: {}});
      text.value = '';
      error.textContent = '';
    } catch (e) {
      error.textContent = t('conversation.failed', {reason: e.message});
    } finally {
      send.disabled = false;
      text.focus();
    }
  }}, text, send);
  text.addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  show(
    el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
      el('h1', {}, contact)),
    list, typing, error, form);

  events.subscribe(received => {
    const envelope = received.envelope;
    if (received.account !== account || envelope.source !== contact) {
      return;
    }
    const data = envelope.dataMessage;
    if (data && data.reaction) {
      const reaction = data.reaction;
      change(reaction.targetAuthor === account, reaction.targetSentTimestamp, m => {
        const reactions = {...m.reactions};
        if (reaction.isRemove) {
          delete reactions[contact];
        } else {
          reactions[contact] = reaction.emoji;
        }
        return {reactions};
      });
    } else if (data && typeof data.message === 'string') {
      typing.hidden = true;
      put({outgoing: false, timestamp: envelope.timestamp, body: data.message, reactions: {}});
      markRead([envelope.timestamp]);
    } else if (envelope.receiptMessage) {
      const receipt = envelope.receiptMessage;
      for (const timestamp of receipt.timestamps) {
        change(true, timestamp, () => (receipt.isRead
          ? {readAt: receipt.when, deliveredAt: receipt.when} : {deliveredAt: receipt.when}));
      }
    } else if (envelope.typingMessage && !envelope.typingMessage.groupId) {
      typing.hidden = envelope.typingMessage.action !== 'STARTED';
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        typing.hidden = true;
      }, TYPING_SHOWN_MILLIS);
    }
  });
  try {
    const history = await call('listMessages', {account, recipient: contact});
    history.forEach(put);
    markRead(history.filter(m => !m.outgoing && !m.readAt).map(m => m.timestamp));
  } catch (e) {
    error.textContent = e.message;
  }
  text.focus();
}
