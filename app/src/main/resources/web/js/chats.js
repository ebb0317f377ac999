// SPDX-License-Identifier: AGPL-3.0-only
// The chat list: conversations newest first with their last message and unread count, and a new chat
// by username.
import {call} from './api.js';
import {el, show} from './dom.js';
import {formatTime, t, tn} from './i18n.js';
import {events} from './events.js';
import {showConversation} from './conversation.js';
import {showSettings} from './settings.js';
import {showCallLog} from './callLog.js';
import {showConnection} from './connection.js';

function preview(chat) {
  if (chat.lastMessage.timestamp === 0) {
    return t('chats.noMessages');
  }
  const text = chat.lastMessage.body || t('chats.noText');
  return chat.lastMessage.outgoing ? t('chats.fromYou', {text}) : text;
}

/**
 * Chats made into elements per task, when the list is first shown: 1,000 chats made at once block
 * the page for a long task (BENCHMARKS.md, the web app); a slice of them does not.
 */
const SLICE = 100;

function chatItem(chat, open) {
  const peer = chat.groupId ? {groupId: chat.groupId, title: chat.name} : {recipient: chat.recipient};
  const time = chat.lastMessage.timestamp > 0
    ? el('time', {class: 'chat-time', datetime: new Date(chat.lastMessage.timestamp).toISOString()},
      formatTime(chat.lastMessage.timestamp))
    : el('span', {class: 'chat-time'});
  return el('li', {}, el('button', {class: chat.groupId ? 'chat group' : 'chat',
    'data-chat': chat.groupId || chat.recipient, onclick: () => open(peer)},
    el('span', {class: 'chat-title'}, chat.name || chat.recipient),
    time,
    el('span', {class: 'chat-preview'}, preview(chat)),
    chat.unread === 0 ? null : el('span', {class: 'unread', 'aria-label': tn('unread', chat.unread)},
      String(chat.unread))));
}

/** A new group: a name and the members' usernames, separated by commas or spaces. */
function newGroupForm(account, open) {
  const name = el('input', {id: 'new-group-name', name: 'name', maxlength: 64, autocomplete: 'off'});
  const members = el('input', {id: 'new-group-members', name: 'members', autocomplete: 'off',
    placeholder: 'bob.42, carol.7'});
  const error = el('p', {class: 'error', role: 'alert'});
  return el('details', {class: 'new-group'}, el('summary', {}, t('chats.newGroup')),
    el('form', {onsubmit: async event => {
      event.preventDefault();
      try {
        const created = await call('updateGroup', {account, name: name.value.trim(),
          member: members.value.split(/[\s,]+/).filter(Boolean)});
        open({groupId: created.groupId, title: name.value.trim()});
      } catch (e) {
        error.textContent = e.message;
      }
    }}, el('label', {for: 'new-group-name'}, t('chats.groupName')), name,
    el('label', {for: 'new-group-members'}, t('chats.groupMembers')), members,
    el('button', {type: 'submit'}, t('chats.createGroup')), error));
}

/** What the user searches for; kept while the list refreshes and when they come back to it. */
let searchText = '';

/** Whether a chat matches the search: its name, username or last message, ignoring case. */
function matches(chat, query) {
  const haystack = [chat.name, chat.recipient, chat.lastMessage.body].filter(Boolean).join('\n');
  return haystack.toLocaleLowerCase().includes(query.toLocaleLowerCase());
}

export async function showChats(account) {
  events.clear();
  const open = peer => showConversation(account, peer, () => showChats(account));
  const recipient = el('input', {id: 'new-chat', name: 'recipient', required: true, autocomplete: 'off',
    placeholder: 'bob.42'});
  const search = el('input', {type: 'search', id: 'chat-search', name: 'search', autocomplete: 'off',
    value: searchText, 'aria-controls': 'chat-list-holder'});
  const holder = el('div', {id: 'chat-list-holder', 'aria-live': 'polite'});
  let chats = [];

  /** Each chat's element, kept while the chat is unchanged: searching and refreshing reuse it. */
  const items = new Map();
  /** Counts renders: a slice of an older one that is still queued stops when a newer one began. */
  let renders = 0;

  const keyOf = chat => (chat.groupId ? `group:${chat.groupId}` : `contact:${chat.recipient}`);
  const stateOf = chat => JSON.stringify([chat.name, chat.unread, chat.lastMessage]);

  /** The chat's element, and whether it was made now (rather than reused). */
  function itemFor(chat) {
    const key = keyOf(chat);
    const state = stateOf(chat);
    const known = items.get(key);
    if (known && known.state === state) {
      return {element: known.element, made: false};
    }
    const element = chatItem(chat, open);
    items.set(key, {state, element});
    return {element, made: true};
  }

  /**
   * Whether the list on screen already shows exactly these chats, as they are now. Typing a search
   * often leaves the same chats ("c", "ch", "cha" match them all): moving 1,000 chats into a new
   * list for nothing took Chromium 100 ms (BENCHMARKS.md, the web app).
   */
  function alreadyShown(shown) {
    const list = holder.querySelector('.chat-list');
    if (!list || list.children.length !== shown.length) {
      return false;
    }
    return shown.every((chat, i) => {
      const known = items.get(keyOf(chat));
      return known !== undefined && known.state === stateOf(chat) && list.children[i] === known.element;
    });
  }

  function renderList() {
    const render = ++renders;
    const query = searchText.trim();
    const shown = query ? chats.filter(chat => matches(chat, query)) : chats;
    if (shown.length > 0 && alreadyShown(shown)) {
      return;
    }
    if (chats.length === 0 || shown.length === 0) {
      holder.replaceChildren(chats.length === 0
        ? el('p', {class: 'empty'}, t('chats.empty'))
        : el('p', {class: 'empty no-match'}, t('chats.noMatch', {text: query})));
      return;
    }
    // A list already on screen stays there until the new one is whole, so the page does not jump
    // while the user scrolls; the first list is shown as it grows, its top first.
    const list = el('ul', {class: 'chat-list'});
    const growing = !holder.querySelector('.chat-list');
    if (growing) {
      holder.replaceChildren(list);
    }
    const fill = from => {
      if (render !== renders) {
        return;
      }
      let made = 0;
      let next = from;
      const slice = [];
      while (next < shown.length && made < SLICE) {
        const item = itemFor(shown[next]);
        made += item.made ? 1 : 0;
        slice.push(item.element);
        next++;
      }
      list.append(...slice);
      if (next < shown.length) {
        setTimeout(() => fill(next), 0);
      } else if (!growing) {
        holder.replaceChildren(list);
      }
    };
    fill(0);
  }

  // Messages come in bursts: one fetch for each burst, not one per message.
  let refreshing = null;
  function refresh() {
    refreshing ??= new Promise(resolve => setTimeout(resolve, 200))
      .then(() => call('listChats', {account}))
      .then(fresh => {
        chats = fresh;
        renderList();
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  search.addEventListener('input', () => {
    searchText = search.value;
    renderList();
  });
  chats = await call('listChats', {account});
  renderList();
  show(
    el('header', {}, el('h1', {}, t('chats.title')), el('p', {class: 'me'}, t('chats.you', {username: account})),
      el('nav', {class: 'menu'},
        el('button', {type: 'button', class: 'secondary open-connection',
          onclick: () => showConnection(account, () => showChats(account))}, t('connection.title')),
        el('button', {type: 'button', class: 'secondary open-calls',
          onclick: () => showCallLog(account, () => showChats(account))}, t('callLog.title')),
        el('button', {type: 'button', class: 'secondary open-settings',
          onclick: () => showSettings(account, () => showChats(account))}, t('settings.title')))),
    el('form', {class: 'new-chat', onsubmit: event => {
      event.preventDefault();
      if (recipient.value.trim()) {
        open({recipient: recipient.value.trim()});
      }
    }},
    el('label', {for: 'new-chat'}, t('chats.newChatPrompt')), recipient,
    el('button', {type: 'submit'}, t('chats.open'))),
    newGroupForm(account, open),
    el('div', {class: 'search', role: 'search'}, el('label', {for: 'chat-search'}, t('chats.search')), search),
    holder);
  events.subscribe(received => {
    const data = received.envelope.dataMessage;
    if (received.account === account && data && (typeof data.message === 'string' || data.attachments)) {
      refresh().catch(() => {});
    }
  });
  events.onReconnect(() => refresh().catch(() => {}));
}
