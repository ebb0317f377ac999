// SPDX-License-Identifier: AGPL-3.0-only
// One conversation: its history with date separators and a "new messages" marker, what arrives live
// (messages, edits, deletes, receipts, reactions, typing), replying, editing, deleting for everyone,
// and the warning that holds sending back after the contact's safety number changed.
import {attachmentUrl, call, upload} from './api.js';
import {el, show, whenLeft} from './dom.js';
import {formatDate, formatTime, t, tn} from './i18n.js';
import {events} from './events.js';
import {startCall} from './calls.js';
import {showContact} from './contact.js';
import {showGroup} from './group.js';
import {recordButton, voiceNoteView} from './voice.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
const TYPING_SHOWN_MILLIS = 15000;
const IDENTITY_FAILURE = -4;
/** The disappearing-message timers offered, in seconds (0: off), as Signal offers them. */
const TIMERS = [0, 300, 3600, 86400, 604800, 2419200];
/** Messages loaded at a time; older ones come when the user scrolls back. */
const PAGE = 100;
/**
 * Messages in the page at most: scrolling on takes those at the far end out of the page (they stay
 * loaded and come back when the user scrolls to them), so a page scrolled costs the same however
 * long the history is (BENCHMARKS.md, the web app).
 */
const MAX_SHOWN = 3 * PAGE;
/** Pages loaded at most when a conversation opens, to reach its first unread message. */
const MAX_UNREAD_PAGES = 5;
/** Messages already read shown above the "new messages" marker, when a conversation opens there. */
const READ_BEFORE_UNREAD = 10;
/** Signal repeats "started typing" while typing goes on; the receiver hides it after 15 s. */
const TYPING_REPEAT_MILLIS = 5000;

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

/** A timer as people say it: off, 5 minutes, 1 hour, 1 day, 1 week, 4 weeks. */
function timerName(seconds) {
  if (seconds === 0) {
    return t('timer.off');
  }
  for (const [unit, length] of [['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]]) {
    if (seconds % length === 0) {
      return tn(`timer.${unit}`, seconds / length);
    }
  }
  return tn('timer.second', seconds);
}

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) {
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`;
}

function dayOf(timestamp) {
  return new Date(timestamp).toDateString();
}

/**
 * Shows the conversation with {recipient} (a contact's username) or {groupId, title} (a group).
 */
export async function showConversation(account, peer, onBack) {
  events.clear();
  const group = Boolean(peer.groupId);
  const contact = peer.recipient;
  const title = group ? peer.title : contact;
  /** Who a call is about: the contact or the group. */
  const target = group ? {groupId: peer.groupId} : {recipient: contact};
  const configuration = await call('getConfiguration', {account}).catch(() => ({typingIndicators: false}));
  /**
   * Every message loaded, by "author/timestamp" (author: the contact's username, or this
   * account's): {message, element}, the element made when the message is first shown.
   */
  const byKey = new Map();
  const list = el('ol', {class: 'messages', 'aria-live': 'polite'});
  const typing = el('p', {class: 'typing', hidden: true}, t('conversation.typing', {name: title}));
  const error = el('p', {class: 'error', role: 'alert'});
  const keyChanged = el('div', {class: 'key-change', role: 'alert', hidden: true},
    el('p', {}, t('conversation.keyChanged', {name: contact})),
    el('button', {type: 'button', class: 'accept-key', onclick: () => acceptKey()}, t('conversation.acceptKey')),
    el('button', {type: 'button', class: 'secondary', onclick: () => openContact()}, t('conversation.viewSafetyNumber')));
  const composing = el('div', {class: 'composing', hidden: true});
  let typingTimer = null;
  /** Stands first in the list while older messages remain; scrolling to it shows them. */
  const earlier = el('li', {class: 'earlier', hidden: true},
    el('button', {type: 'button', class: 'secondary load-earlier', onclick: () => loadEarlier()},
      t('conversation.earlier')));
  /** Stands last in the list while newer messages are loaded but not shown; scrolling to it shows them. */
  const later = el('li', {class: 'later', hidden: true},
    el('button', {type: 'button', class: 'secondary load-later', onclick: () => showLater()},
      t('conversation.later')));
  /**
   * Only the messages scroll; the header and the compose box stay on screen. When the whole page
   * scrolled, loading older messages above kept pushing the back button out of reach.
   */
  const scroller = el('div', {class: 'message-scroller'}, list);
  /**
   * Whether the newest message is in view. Then what grows (a picture that loaded, a message that
   * arrived, the warning above that took room) keeps it in view, as in messengers.
   */
  let atNewest = false;
  const followNewest = () => {
    atNewest = later.hidden && scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
  };
  scroller.addEventListener('scroll', followNewest, {passive: true});
  const keepNewestInView = new ResizeObserver(() => {
    if (atNewest) {
      scroller.scrollTop = scroller.scrollHeight;
    }
  });
  keepNewestInView.observe(scroller);
  keepNewestInView.observe(list);
  /** Scrolling to the sentinel at either end shows the next page that way. */
  const sentinels = new IntersectionObserver(entries => {
    for (const entry of entries.filter(e => e.isIntersecting)) {
      if (entry.target === earlier) {
        loadEarlier();
      } else {
        showLater();
      }
    }
  }, {root: scroller});
  /** The keys of the messages loaded, oldest first. */
  const ordered = [];
  /** The page shows ordered[shownFrom] up to, not including, ordered[shownTo]. */
  let shownFrom = 0;
  let shownTo = 0;
  /** Whether the daemon may have messages older than the oldest loaded. */
  let olderOnDaemon = false;
  /** Loading or moving the messages shown; one at a time. */
  let moving = false;

  /** Loads (when it must) and shows the page of messages before the oldest shown. */
  async function loadEarlier() {
    if (moving || earlier.hidden) {
      return;
    }
    moving = true;
    try {
      if (shownFrom === 0) {
        await loadOlderPage();
      }
      const anchor = shownTo > shownFrom ? elementOf(ordered[shownFrom]) : null;
      keepingInPlace(anchor, () => {
        prependRange(Math.max(0, shownFrom - PAGE));
        if (shownTo - shownFrom > MAX_SHOWN) {
          dropNewest(shownTo - shownFrom - MAX_SHOWN);
        }
      });
      updateSentinels();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      moving = false;
    }
  }

  /** Fetches the page of messages before the oldest loaded, and marks what was unread in it read. */
  async function loadOlderPage() {
    const oldestKey = ordered[0];
    const page = await call('listMessages', {account, ...target, before: timestampOf(oldestKey), limit: PAGE});
    olderOnDaemon = page.length === PAGE;
    const keys = page.map(message => remember(message));
    ordered.unshift(...keys);
    shownFrom += keys.length;
    shownTo += keys.length;
    // When the unread run began before this page, the marker moves to where it really begins.
    const unread = page.filter(m => !m.outgoing && !m.readAt);
    if (unread.length > 0 && firstUnreadKey === oldestKey) {
      firstUnreadKey = keyOfMessage(unread[0]);
    }
    markRead(unread.map(m => m.timestamp));
  }

  /** Shows the page of loaded messages after the newest shown. */
  function showLater() {
    if (moving || later.hidden) {
      return;
    }
    keepingInPlace(elementOf(ordered[shownTo - 1]), () => {
      appendRange(Math.min(ordered.length, shownTo + PAGE));
      if (shownTo - shownFrom > MAX_SHOWN) {
        dropOldest(shownTo - shownFrom - MAX_SHOWN);
      }
    });
    updateSentinels();
  }
  let replyTo = null;
  let editing = null;

  const keyOf = (outgoing, timestamp, author = contact) => `${outgoing ? account : author}/${timestamp}`;
  const keyOfMessage = message => keyOf(message.outgoing, message.timestamp, message.author);
  const timestampOf = key => byKey.get(key).message.timestamp;
  const back = () => showConversation(account, peer, onBack);
  const openContact = () => (group ? showGroup(account, peer.groupId, back, onBack) : showContact(account, contact, back));

  function setKeyChanged(changed) {
    keyChanged.hidden = !changed;
    send.disabled = changed;
  }

  async function acceptKey() {
    try {
      await call('trust', {account, recipient: contact, trustAllKnownKeys: true});
      setKeyChanged(false);
      text.focus();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function actions(message) {
    // The picker is made when first asked for: six buttons for each of hundreds of messages shown
    // would be most of the page's elements.
    let picker = null;
    const bar = el('div', {class: 'actions'});
    const togglePicker = () => {
      picker ??= el('div', {class: 'reaction-picker', hidden: true, role: 'group',
        'aria-label': t('conversation.reactWith')},
      REACTIONS.map(emoji => el('button', {type: 'button', class: 'emoji', 'aria-label': emoji,
        onclick: () => react(message, emoji)}, emoji)));
      if (!picker.isConnected) {
        bar.after(picker);
      }
      picker.hidden = !picker.hidden;
    };
    const buttons = [
      el('button', {type: 'button', class: 'react', 'aria-label': t('conversation.react'),
        onclick: togglePicker}, '☺'),
    ];
    buttons.push(el('button', {type: 'button', class: 'reply', 'aria-label': t('conversation.reply'),
      onclick: () => startReply(message)}, '↩'));
    if (message.outgoing && !message.remoteDeleted) {
      buttons.push(
        el('button', {type: 'button', class: 'edit', 'aria-label': t('conversation.edit'),
          onclick: () => startEdit(message)}, '✎'),
        el('button', {type: 'button', class: 'delete', 'aria-label': t('conversation.deleteForEveryone'),
          onclick: () => deleteForEveryone(message)}, '🗑'));
    }
    bar.append(...buttons);
    return bar;
  }

  /** A file of a message: a voice note played, a picture shown, anything else a link to save it. */
  function attachmentView(file) {
    if (file.voiceNote && (file.localUrl || file.id)) {
      return voiceNoteView(file.localUrl || attachmentUrl(account, file), file.filename, file.blob);
    }
    if (file.localUrl) {
      return file.contentType.startsWith('image/')
        ? el('img', {class: 'picture', src: file.localUrl, alt: file.filename})
        : el('p', {class: 'file'}, '📎 ', file.filename);
    }
    if (!file.id) {
      return el('p', {class: 'file error'}, '📎 ', file.filename, ': ', file.error || t('conversation.fileMissing'));
    }
    const link = el('a', {class: 'file', href: attachmentUrl(account, file, true), download: file.filename},
      '📎 ', file.filename, ` (${formatSize(file.size)})`);
    return (file.contentType || '').startsWith('image/')
      ? el('figure', {class: 'picture'}, el('img', {src: attachmentUrl(account, file), alt: file.filename}), link)
      : link;
  }

  function render(message) {
    const reactions = Object.entries(message.reactions || {});
    const meta = el('p', {class: 'meta'},
      message.editedAt && !message.remoteDeleted ? el('span', {class: 'edited'}, t('conversation.edited')) : null,
      el('time', {datetime: new Date(message.timestamp).toISOString()}, formatTime(message.timestamp)));
    if (message.outgoing) {
      const state = tick(message);
      meta.append(el('span', {class: `tick ${state.state}`, 'data-state': state.state,
        title: t(`tick.${state.state}`), 'aria-label': t(`tick.${state.state}`)}, state.symbol));
    }
    const quote = message.quote && !message.remoteDeleted
      ? el('blockquote', {class: 'quote'}, el('cite', {}, message.quote.author), el('p', {}, message.quote.text))
      : null;
    return el('li', {class: message.outgoing ? 'message outgoing' : 'message incoming',
      'data-timestamp': message.timestamp},
    group && !message.outgoing ? el('p', {class: 'author'}, message.author) : null,
    quote,
    message.remoteDeleted ? null : (message.attachments || []).map(file => attachmentView(file)),
    message.remoteDeleted
      ? el('p', {class: 'body deleted'}, t('conversation.deleted'))
      : el('p', {class: 'body'}, message.body ?? ''),
    meta,
    reactions.length === 0 ? null : el('p', {class: 'reactions', 'aria-label': t('conversation.reactions')},
      reactions.map(([who, emoji]) => el('span', {class: 'reaction', title: who}, emoji))),
    message.remoteDeleted ? null : actions(message));
  }

  /** The message before which the "new messages" marker stands, by key. */
  let firstUnreadKey = null;

  const newMarker = () => el('li', {class: 'new-marker', role: 'separator'}, t('conversation.newMessages'));
  const dateSeparator = (day, timestamp) => el('li', {class: 'date-separator', role: 'separator', 'data-day': day},
    formatDate(timestamp));
  const isMessageItem = item => item.classList.contains('message');

  /** Keeps a loaded message; returns its key. Its element is made when it is first shown. */
  function remember(message) {
    const key = keyOfMessage(message);
    byKey.set(key, {message, element: null});
    return key;
  }

  function elementOf(key) {
    const known = byKey.get(key);
    known.element ??= render(known.message);
    return known.element;
  }

  /**
   * The items of ordered[from] up to ordered[to]: each message with a date separator where the day
   * changes (after {@code dayBefore}) and the "new messages" marker before the first unread.
   */
  function itemsOf(from, to, dayBefore) {
    const items = document.createDocumentFragment();
    let day = dayBefore;
    for (let i = from; i < to; i++) {
      const key = ordered[i];
      if (key === firstUnreadKey) {
        list.querySelector('.new-marker')?.remove();
        items.append(newMarker());
      }
      const timestamp = timestampOf(key);
      if (dayOf(timestamp) !== day) {
        day = dayOf(timestamp);
        items.append(dateSeparator(day, timestamp));
      }
      items.append(elementOf(key));
    }
    return items;
  }

  /** Shows ordered[from] up to ordered[to] and nothing else. */
  function showRange(from, to) {
    list.replaceChildren(earlier, itemsOf(from, to, null), later);
    shownFrom = from;
    shownTo = to;
    updateSentinels();
  }

  function updateSentinels() {
    earlier.hidden = shownFrom === 0 && !olderOnDaemon;
    later.hidden = shownTo === ordered.length;
  }

  /**
   * Puts the messages from ordered[from] in front of those shown. Only they are laid out: laying
   * everything out again for each page made scrolling back slower with every page (BENCHMARKS.md).
   */
  function prependRange(from) {
    const items = itemsOf(from, shownFrom, null);
    const lastDay = from < shownFrom ? dayOf(timestampOf(ordered[shownFrom - 1])) : null;
    // The messages shown may begin on the day the new ones end with: one separator for it is enough.
    const next = earlier.nextElementSibling;
    const shownFirstDay = next?.classList.contains('new-marker') ? next.nextElementSibling : next;
    if (shownFirstDay?.classList.contains('date-separator') && shownFirstDay.dataset.day === lastDay) {
      shownFirstDay.remove();
    }
    earlier.after(items);
    shownFrom = from;
  }

  /** Puts the messages up to ordered[to] after those shown. */
  function appendRange(to) {
    const dayBefore = shownTo > shownFrom ? dayOf(timestampOf(ordered[shownTo - 1])) : null;
    later.before(itemsOf(shownTo, to, dayBefore));
    shownTo = to;
  }

  /** Takes the newest {@code count} messages shown out of the page; they stay loaded. */
  function dropNewest(count) {
    for (let dropped = 0; dropped < count && later.previousElementSibling !== earlier;) {
      const item = later.previousElementSibling;
      dropped += isMessageItem(item) ? 1 : 0;
      item.remove();
    }
    // A separator or marker with no message after it goes too.
    while (later.previousElementSibling !== earlier && !isMessageItem(later.previousElementSibling)) {
      later.previousElementSibling.remove();
    }
    shownTo -= count;
  }

  /** Takes the oldest {@code count} messages shown out of the page; they stay loaded. */
  function dropOldest(count) {
    for (let dropped = 0; dropped < count && earlier.nextElementSibling !== later;) {
      const item = earlier.nextElementSibling;
      dropped += isMessageItem(item) ? 1 : 0;
      item.remove();
    }
    while (earlier.nextElementSibling !== later && !isMessageItem(earlier.nextElementSibling)) {
      earlier.nextElementSibling.remove();
    }
    shownFrom += count;
    // The first message shown now stands under its own date (and the marker, if it is the first unread).
    if (shownFrom < shownTo) {
      const key = ordered[shownFrom];
      const timestamp = timestampOf(key);
      earlier.after(...(key === firstUnreadKey ? [newMarker()] : []), dateSeparator(dayOf(timestamp), timestamp));
    }
  }

  /**
   * Runs {@code move} (which changes what is shown above or below {@code anchor}, but keeps it) so
   * that {@code anchor} stays where it is on the screen: what the user looks at does not jump.
   */
  function keepingInPlace(anchor, move) {
    if (!anchor) {
      move();
      return;
    }
    const top = anchor.getBoundingClientRect().top;
    move();
    scroller.scrollTop += anchor.getBoundingClientRect().top - top;
  }

  /** The index in ordered where a message of {@code timestamp} belongs: after those not newer. */
  function indexFor(timestamp) {
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (timestampOf(ordered[middle]) <= timestamp) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /** Shows the newest page, at its end: where a message the user just sent appears. */
  function showNewest() {
    showRange(Math.max(0, ordered.length - PAGE), ordered.length);
    list.lastElementChild.previousElementSibling?.scrollIntoView({block: 'end'});
  }

  /** A message new or changed: shown where it belongs, if that is in the part of the list shown. */
  function put(message) {
    const key = keyOfMessage(message);
    const known = byKey.get(key);
    if (known) {
      const shown = known.element?.isConnected ? known.element : null;
      byKey.set(key, {message, element: null});
      shown?.replaceWith(elementOf(key));
      return;
    }
    remember(message);
    const index = indexFor(message.timestamp);
    ordered.splice(index, 0, key);
    if (index === ordered.length - 1 && shownTo === index) {
      // The newest, while the newest are shown: it goes at the end.
      appendRange(ordered.length);
      if (shownTo - shownFrom > MAX_SHOWN + PAGE) {
        keepingInPlace(elementOf(key), () => dropOldest(PAGE));
      }
    } else if (index === ordered.length - 1 && message.outgoing) {
      showNewest();
    } else if (index < shownFrom) {
      shownFrom++;
      shownTo++;
    } else if (index <= shownTo) {
      // Older than the newest shown (it came late): the part shown is laid out again.
      keepingInPlace(shownTo > shownFrom ? elementOf(ordered[shownFrom === index ? index + 1 : shownFrom]) : null,
        () => showRange(shownFrom, shownTo + 1));
    }
    updateSentinels();
  }

  /** Someone's reaction (or its withdrawal) to a message; {@code author}: who wrote it, if not this account. */
  function applyReaction(reaction, reactor, author) {
    change(reaction.targetAuthor === account, reaction.targetSentTimestamp, m => {
      const reactions = {...m.reactions};
      if (reaction.isRemove) {
        delete reactions[reactor];
      } else {
        reactions[reactor] = reaction.emoji;
      }
      return {reactions};
    }, author);
  }

  function change(outgoing, timestamp, update, author = contact) {
    const known = byKey.get(keyOf(outgoing, timestamp, author));
    if (known) {
      put({...known.message, ...update(known.message)});
    }
  }

  async function react(message, emoji) {
    const author = message.outgoing ? account : (message.author || contact);
    try {
      await call('sendReaction', {account, ...target, emoji, targetAuthor: author, targetTimestamp: message.timestamp});
      change(message.outgoing, message.timestamp, m => ({reactions: {...m.reactions, [account]: emoji}}), author);
    } catch (e) {
      error.textContent = t('conversation.failed', {reason: e.message});
    }
  }

  async function deleteForEveryone(message) {
    if (!window.confirm(t('conversation.confirmDelete'))) {
      return;
    }
    try {
      await call('remoteDelete', {account, ...target, targetTimestamp: message.timestamp});
      change(true, message.timestamp, () => ({remoteDeleted: true, body: ''}));
    } catch (e) {
      error.textContent = t('conversation.failed', {reason: e.message});
    }
  }

  function showComposing(label, preview) {
    composing.replaceChildren(el('span', {}, label), el('q', {}, preview),
      el('button', {type: 'button', class: 'cancel', 'aria-label': t('conversation.cancel'), onclick: () => {
        replyTo = null;
        editing = null;
        composing.hidden = true;
        text.value = '';
      }}, '✕'));
    composing.hidden = false;
    text.focus();
  }

  function startReply(message) {
    editing = null;
    replyTo = message;
    showComposing(t('conversation.replyingTo', {name: message.outgoing ? account : (message.author || contact)}),
      message.body);
  }

  function startEdit(message) {
    replyTo = null;
    editing = message;
    text.value = message.body;
    showComposing(t('conversation.editing'), message.body);
  }

  /**
   * Marks messages read, only while the page is visible; the daemon tells the contact unless read
   * receipts are off.
   */
  function markRead(timestamps) {
    if (timestamps.length > 0 && document.visibilityState === 'visible') {
      call('markRead', {account, ...target, targetTimestamp: timestamps})
        .catch(e => {
          error.textContent = e.message;
        });
    }
  }

  /**
   * Tells the contact (or the group's members) that this user types, at most every few seconds, if
   * typing indicators are on.
   */
  let typingSentAt = 0;
  function typed() {
    const now = Date.now();
    if (configuration.typingIndicators && now - typingSentAt > TYPING_REPEAT_MILLIS) {
      typingSentAt = now;
      call('sendTyping', {account, ...target}).catch(() => {});
    }
  }

  const text = el('textarea', {id: 'compose', name: 'message', rows: 2, 'aria-label': t('conversation.compose'),
    placeholder: t('conversation.compose')});
  const progress = el('progress', {class: 'upload-progress', max: 1, value: 0, hidden: true,
    'aria-label': t('conversation.uploading')});
  const picker = el('input', {type: 'file', id: 'attach', class: 'visually-hidden', multiple: true,
    onchange: () => {
      sendFiles([...picker.files]);
      picker.value = '';
    }});
  const attach = el('label', {for: 'attach', class: 'attach', title: t('conversation.attach')}, '📎',
    el('span', {class: 'visually-hidden'}, t('conversation.attach')));

  /**
   * Uploads the files to the daemon with progress, then sends them (with the typed text, if any);
   * with {@code voiceNote}, as recordings to play.
   */
  async function sendFiles(chosen, voiceNote = false) {
    if (chosen.length === 0 || send.disabled) {
      return;
    }
    send.disabled = true;
    error.textContent = '';
    progress.hidden = false;
    try {
      const paths = [];
      for (const [index, file] of chosen.entries()) {
        paths.push(await upload(file, fraction => {
          progress.value = (index + fraction) / chosen.length;
        }));
      }
      error.textContent = t('conversation.sending');
      const body = text.value.trim();
      const params = group ? {account, groupId: peer.groupId, message: body, attachments: paths, voiceNote}
        : {account, recipient: [contact], message: body, attachments: paths, voiceNote};
      const result = await call('send', params);
      put({outgoing: true, timestamp: result.timestamp, body, reactions: {}, author: account,
        attachments: chosen.map(file => ({filename: file.name, contentType: file.type || '', voiceNote,
          localUrl: URL.createObjectURL(file), blob: file}))});
      text.value = '';
      error.textContent = '';
    } catch (e) {
      error.textContent = t('conversation.failed', {reason: e.message});
    } finally {
      progress.hidden = true;
      progress.value = 0;
      send.disabled = false;
    }
  }
  const send = el('button', {type: 'submit'}, t('conversation.send'));
  const recorder = recordButton(recording => sendFiles([recording], true), reason => {
    error.textContent = reason;
  });
  const form = el('form', {class: 'compose', onsubmit: async event => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body || send.disabled) {
      return;
    }
    send.disabled = true;
    error.textContent = t('conversation.sending');
    const params = group ? {account, groupId: peer.groupId, message: body}
      : {account, recipient: [contact], message: body};
    if (replyTo) {
      params.quoteTimestamp = replyTo.timestamp;
      params.quoteAuthor = replyTo.outgoing ? account : (replyTo.author || contact);
    }
    if (editing) {
      params.editTimestamp = editing.timestamp;
    }
    try {
      const result = await call('send', params);
      if (editing) {
        change(true, editing.timestamp, () => ({body, editedAt: result.timestamp}));
      } else {
        put({outgoing: true, timestamp: result.timestamp, body, reactions: {}, author: account,
          quote: replyTo ? {author: params.quoteAuthor, text: replyTo.body} : null});
      }
      text.value = '';
      replyTo = null;
      editing = null;
      composing.hidden = true;
      error.textContent = '';
      send.disabled = false;
    } catch (e) {
      const identity = e.code === IDENTITY_FAILURE
        || (e.data?.response?.results || []).some(r => r.type === 'IDENTITY_FAILURE');
      if (identity) {
        error.textContent = '';
        setKeyChanged(true);
      } else {
        error.textContent = t('conversation.failed', {reason: e.message});
        send.disabled = false;
      }
    } finally {
      text.focus();
    }
  }}, attach, picker, ...recorder.controls, text, send);
  text.addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  text.addEventListener('input', typed);
  const timer = group ? null : el('select', {id: 'disappearing', 'aria-label': t('conversation.disappearing'),
    onchange: async () => {
      try {
        await call('updateContact', {account, recipient: contact, expiration: Number(timer.value)});
        note(t('conversation.timerSetByYou', {timer: timerName(Number(timer.value))}));
      } catch (e) {
        error.textContent = e.message;
      }
    }}, TIMERS.map(seconds => el('option', {value: seconds}, timerName(seconds))));

  /** A line in the conversation that is not a message, e.g. a changed timer. */
  function note(text) {
    later.before(el('li', {class: 'system-note', role: 'note'}, text));
  }

  show(
    el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
      el('h1', {}, title),
      timer ? el('label', {class: 'timer'}, '⏱ ', timer) : null,
      group ? null : el('button', {type: 'button', class: 'secondary voice-call', title: t('call.voice'),
        'aria-label': t('call.voice'), onclick: () => startCall(contact, false)}, '📞'),
      group ? null : el('button', {type: 'button', class: 'secondary video-call', title: t('call.video'),
        'aria-label': t('call.video'), onclick: () => startCall(contact, true)}, '🎥'),
      el('button', {type: 'button', class: 'secondary contact-info', onclick: () => openContact()},
        t(group ? 'conversation.groupInfo' : 'conversation.contactInfo'))),
    keyChanged, scroller, typing, progress, error, composing, form);
  document.getElementById('app').classList.add('conversation-screen');
  whenLeft(() => {
    recorder.discard();
    sentinels.disconnect();
    keepNewestInView.disconnect();
  });
  // Files dropped anywhere on the conversation are sent like picked ones.
  const main = document.getElementById('app');
  main.ondragover = event => event.preventDefault();
  main.ondrop = event => {
    event.preventDefault();
    sendFiles([...event.dataTransfer.files]);
  };

  // Back after the daemon was away: what arrived meanwhile is in its store; what is typed stays.
  events.onReconnect(async () => {
    try {
      const page = await call('listMessages', {account, ...target, limit: PAGE});
      for (const message of page) {
        put(message);
      }
      markRead(page.filter(m => !m.outgoing && !m.readAt).map(m => m.timestamp));
    } catch (e) {
      error.textContent = e.message;
    }
  });
  events.subscribe(received => {
    const envelope = received.envelope;
    const data = envelope.dataMessage;
    const inGroup = data?.groupInfo?.groupId ?? envelope.typingMessage?.groupId;
    if (received.account !== account) {
      return;
    }
    if (group) {
      // An edit names its group inside the edited message, as signal-cli shows it.
      const edit = envelope.editMessage;
      if (envelope.receiptMessage) {
        // A receipt names no group; the daemon adds this account's group messages it names, each
        // with its state for the whole group (delivered to all, read by all members).
        for (const state of envelope.receiptMessage.groupMessages || []) {
          if (state.groupId === peer.groupId) {
            change(true, state.timestamp, () => ({deliveredAt: state.deliveredAt, readAt: state.readAt}));
          }
        }
        return;
      }
      if (received.exception?.type === 'NotApplied') {
        // Any member can send a signal that changes nothing here, like an edit of someone else's message.
        return;
      }
      if (inGroup === peer.groupId && data?.reaction) {
        applyReaction(data.reaction, envelope.source, data.reaction.targetAuthor);
      } else if (inGroup === peer.groupId && data?.remoteDelete) {
        change(false, data.remoteDelete.timestamp, () => ({remoteDeleted: true, body: ''}), envelope.source);
      } else if (inGroup === peer.groupId && data && (typeof data.message === 'string' || data.attachments)
          && !data.reaction) {
        if (typing.dataset.author === envelope.source) {
          typing.hidden = true;
        }
        put({outgoing: false, timestamp: envelope.timestamp, body: data.message ?? '', reactions: {},
          author: envelope.source, attachments: data.attachments || [],
          quote: data.quote ? {author: data.quote.author, text: data.quote.text} : null});
        markRead([envelope.timestamp]);
      } else if (edit?.dataMessage?.groupInfo?.groupId === peer.groupId) {
        change(false, edit.targetSentTimestamp, () => ({body: edit.dataMessage.message, editedAt: envelope.timestamp}),
          envelope.source);
      } else if (inGroup === peer.groupId && envelope.typingMessage) {
        // In a group the line names the member who types: the latest one.
        typing.textContent = t('conversation.typing', {name: envelope.source});
        typing.dataset.author = envelope.source;
        typing.hidden = envelope.typingMessage.action !== 'STARTED';
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => {
          typing.hidden = true;
        }, TYPING_SHOWN_MILLIS);
      }
      return;
    }
    if (envelope.source !== contact || inGroup) {
      return;
    }
    if (envelope.untrustedIdentity) {
      setKeyChanged(true);
    }
    if (data && data.isExpirationUpdate) {
      const seconds = data.expiresInSeconds || 0;
      if (!TIMERS.includes(seconds)) {
        timer.append(el('option', {value: seconds}, timerName(seconds)));
      }
      timer.value = String(seconds);
      note(t('conversation.timerSetBy', {name: contact, timer: timerName(seconds)}));
    } else if (data && data.reaction) {
      applyReaction(data.reaction, contact, contact);
    } else if (data && data.remoteDelete) {
      change(false, data.remoteDelete.timestamp, () => ({remoteDeleted: true, body: ''}));
    } else if (data && (typeof data.message === 'string' || data.attachments)) {
      typing.hidden = true;
      put({outgoing: false, timestamp: envelope.timestamp, body: data.message ?? '', reactions: {}, author: contact,
        attachments: data.attachments || [],
        quote: data.quote ? {author: data.quote.author, text: data.quote.text} : null});
      markRead([envelope.timestamp]);
    } else if (envelope.editMessage) {
      const edit = envelope.editMessage;
      change(false, edit.targetSentTimestamp, () => ({body: edit.dataMessage.message, editedAt: envelope.timestamp}));
    } else if (envelope.receiptMessage) {
      const receipt = envelope.receiptMessage;
      for (const timestamp of receipt.timestamps) {
        change(true, timestamp, () => (receipt.isRead
          ? {readAt: receipt.when, deliveredAt: receipt.when} : {deliveredAt: receipt.when}));
      }
    } else if (envelope.typingMessage) {
      typing.hidden = envelope.typingMessage.action !== 'STARTED';
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        typing.hidden = true;
      }, TYPING_SHOWN_MILLIS);
    }
  });
  try {
    // A contact never written to has no identity here yet: nothing to warn about.
    const [history, identities] = await Promise.all([
      call('listMessages', {account, ...target, limit: PAGE}),
      group ? [] : call('listIdentities', {account, recipient: contact}).catch(() => []),
    ]);
    if (timer) {
      const known = await call('listContacts', {account, recipient: contact}).catch(() => []);
      const seconds = known.length > 0 ? known[0].messageExpirationTime : 0;
      if (!TIMERS.includes(seconds)) {
        timer.append(el('option', {value: seconds}, timerName(seconds)));
      }
      timer.value = String(seconds);
    }
    const firstUnread = history.find(message => !message.outgoing && !message.readAt);
    firstUnreadKey = firstUnread ? keyOf(false, firstUnread.timestamp, firstUnread.author) : null;
    ordered.push(...history.map(message => remember(message)));
    olderOnDaemon = history.length === PAGE;
    // Open at the first unread message, as messengers do: when the unread run goes back past this
    // page, load the earlier pages it spans (a few at most, so a huge backlog still opens fast).
    let pages = 0;
    for (; pages < MAX_UNREAD_PAGES && olderOnDaemon && firstUnreadKey && firstUnreadKey === ordered[0]; pages++) {
      await loadOlderPage();
    }
    if (pages === 0) {
      showRange(0, ordered.length);
    } else {
      // Only a page from a little before the first unread is laid out, once: showing each page as it
      // came and taking the newest out again made one long task (BENCHMARKS.md, the web app). The
      // newer ones come from memory as the user scrolls down.
      const from = Math.max(0, ordered.indexOf(firstUnreadKey) - READ_BEFORE_UNREAD);
      showRange(from, Math.min(ordered.length, from + PAGE));
    }
    sentinels.observe(earlier);
    sentinels.observe(later);
    setKeyChanged(identities.some(identity => identity.trustLevel === 'UNTRUSTED'));
    markRead(history.filter(m => !m.outgoing && !m.readAt).map(m => m.timestamp));
    (list.querySelector('.new-marker') || later.previousElementSibling)?.scrollIntoView({block: 'center'});
    followNewest();
  } catch (e) {
    error.textContent = e.message;
  }
  text.focus();
}
