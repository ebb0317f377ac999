// SPDX-License-Identifier: AGPL-3.0-only
// The call log: every call with a contact, newest first, missed ones marked, each with a way to call back.
import {call} from './api.js';
import {el, show} from './dom.js';
import {formatDate, formatTime, t} from './i18n.js';
import {startCall} from './calls.js';

function formatDuration(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** What became of a call, in words; with its length when it was taken. */
function outcomeText(entry) {
  if (entry.outcome === 'ANSWERED') {
    return entry.durationSeconds === undefined ? t('callLog.going')
      : t('callLog.lasted', {duration: formatDuration(entry.durationSeconds)});
  }
  return t(`callLog.${entry.outcome.toLowerCase()}`);
}

function entryItem(entry) {
  const kind = t(entry.outgoing
    ? (entry.video ? 'callLog.outgoingVideo' : 'callLog.outgoingVoice')
    : (entry.video ? 'callLog.incomingVideo' : 'callLog.incomingVoice'));
  const missed = entry.outcome === 'MISSED';
  return el('li', {class: missed ? 'call-entry missed' : 'call-entry', 'data-call': entry.callId},
    el('span', {class: 'call-direction', 'aria-hidden': 'true'}, entry.outgoing ? '↗' : '↙'),
    el('div', {class: 'call-details'},
      el('strong', {}, entry.recipient),
      el('span', {class: 'call-kind'}, kind),
      el('span', {class: 'call-outcome'}, outcomeText(entry)),
      el('time', {datetime: new Date(entry.startedAt).toISOString()},
        `${formatDate(entry.startedAt)} ${formatTime(entry.startedAt)}`)),
    el('button', {type: 'button', class: 'secondary call-back', 'aria-label': t('callLog.callBack', {name: entry.recipient}),
      title: t('callLog.callBack', {name: entry.recipient}), onclick: () => startCall(entry.recipient, entry.video)},
    entry.video ? '🎥' : '📞'));
}

export async function showCallLog(account, onBack) {
  const entries = await call('listCalls', {account});
  show(
    el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
      el('h1', {}, t('callLog.title'))),
    entries.length === 0 ? el('p', {class: 'empty'}, t('callLog.empty'))
      : el('ol', {class: 'call-log'}, entries.map(entryItem)));
}
