// SPDX-License-Identifier: AGPL-3.0-only
// The chat list: everyone this account writes with, and a new chat by username.
import {call} from './api.js';
import {el, show} from './dom.js';
import {currentLanguage, LANGUAGES, loadLanguage, t} from './i18n.js';
import {events} from './events.js';
import {showConversation} from './conversation.js';

export async function showChats(account) {
  events.clear();
  const contacts = await call('listContacts', {account});
  const open = contact => showConversation(account, contact, () => showChats(account));
  const recipient = el('input', {id: 'new-chat', name: 'recipient', required: true, autocomplete: 'off',
    placeholder: 'bob.42'});
  const list = contacts.length === 0
    ? el('p', {class: 'empty'}, t('chats.empty'))
    : el('ul', {class: 'chat-list'}, contacts.map(contact =>
      el('li', {}, el('button', {class: 'chat', 'data-chat': contact.username, onclick: () => open(contact.username)},
        contact.name || contact.username))));
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
    if (received.account === account && received.envelope.dataMessage
        && !contacts.some(contact => contact.username === received.envelope.source)) {
      showChats(account);
    }
  });
}
