// SPDX-License-Identifier: AGPL-3.0-only
// The chat list: conversations newest first with their last message and unread count, and a new chat
// by username.
import {call} from './api.js';
import {el, show} from './dom.js';
import {currentLanguage, formatTime, LANGUAGES, loadLanguage, t, tn} from './i18n.js';
import {events} from './events.js';
import {showConversation} from './conversation.js';

function preview(chat) {
  const text = chat.lastMessage.body || t('chats.noText');
  return chat.lastMessage.outgoing ? t('chats.fromYou', {text}) : text;
}

function chatItem(chat, open) {
  return el('li', {}, el('button', {class: 'chat', 'data-chat': chat.recipient, onclick: () => open(chat.recipient)},
    el('span', {class: 'chat-title'}, chat.name || chat.recipient),
    el('time', {class: 'chat-time', datetime: new Date(chat.lastMessage.timestamp).toISOString()},
      formatTime(chat.lastMessage.timestamp)),
    el('span', {class: 'chat-preview'}, preview(chat)),
    chat.unread === 0 ? null : el('span', {class: 'unread', 'aria-label': tn('unread', chat.unread)},
      String(chat.unread))));
}

export async function showChats(account) {
  events.clear();
  const chats = await call('listChats', {account});
  const open = recipient => showConversation(account, recipient, () => showChats(account));
  const recipient = el('input', {id: 'new-chat', name: 'recipient', required: true, autocomplete: 'off',
    placeholder: 'bob.42'});
  const list = chats.length === 0
    ? el('p', {class: 'empty'}, t('chats.empty'))
    : el('ul', {class: 'chat-list'}, chats.map(chat => chatItem(chat, open)));
  const language = el('select', {id: 'language', 'aria-label': t('language'), onchange: async () => {
    await loadLanguage(language.value, true);
    document.title = t('app.title');
    showChats(account);
  }}, LANGUAGES.map(code => el('option', {value: code, selected: code === currentLanguage()}, t(`language.${code}`))));
  show(
    el('header', {}, el('h1', {}, t('chats.title')), el('p', {class: 'me'}, t('chats.you', {username: account})),
      el('label', {class: 'language'}, t('language'), ' ', language)),
    el('form', {class: 'new-chat', onsubmit: event => {
      event.preventDefault();
      if (recipient.value.trim()) {
        open(recipient.value.trim());
      }
    }},
    el('label', {for: 'new-chat'}, t('chats.newChatPrompt')), recipient,
    el('button', {type: 'submit'}, t('chats.open'))),
    list);
  events.subscribe(received => {
    const data = received.envelope.dataMessage;
    if (received.account === account && data && (typeof data.message === 'string' || data.attachments)) {
      showChats(account);
    }
  });
}
