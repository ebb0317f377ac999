// SPDX-License-Identifier: AGPL-3.0-only
// One conversation: its history, new messages as they arrive, and sending.
import {call} from './api.js';
import {el, show} from './dom.js';
import {formatTime, t} from './i18n.js';
import {events} from './events.js';

function bubble(message) {
  return el('li', {class: message.outgoing ? 'message outgoing' : 'message incoming',
    'data-timestamp': message.timestamp},
  el('p', {class: 'body'}, message.body ?? ''),
  el('time', {datetime: new Date(message.timestamp).toISOString()}, formatTime(message.timestamp)));
}

export async function showConversation(account, contact, onBack) {
  events.clear();
  const messages = el('ol', {class: 'messages', 'aria-live': 'polite'});
  const error = el('p', {class: 'error', role: 'alert'});
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
      messages.append(bubble({outgoing: true, timestamp: result.timestamp, body}));
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
    messages, error, form);
  events.subscribe(received => {
    const envelope = received.envelope;
    if (received.account === account && envelope.source === contact && envelope.dataMessage
        && typeof envelope.dataMessage.message === 'string') {
      messages.append(bubble({outgoing: false, timestamp: envelope.timestamp, body: envelope.dataMessage.message}));
    }
  });
  try {
    const history = await call('listMessages', {account, recipient: contact});
    messages.prepend(...history.map(bubble));
  } catch (e) {
    error.textContent = e.message;
  }
  text.focus();
}
