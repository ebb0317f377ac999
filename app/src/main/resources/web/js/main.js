// SPDX-License-Identifier: AGPL-3.0-only
// Starts the app: session, language, then the first-run screen or the chats.
import {call, listen, startSession} from './api.js';
import {el, show} from './dom.js';
import {loadLanguage, preferredLanguage, t} from './i18n.js';
import {showFirstRun} from './firstRun.js';
import {showChats} from './chats.js';
import {showConnection} from './connection.js';
import {events} from './events.js';
import {handleCallMessage, startCalls} from './calls.js';

function setOffline(offline) {
  const status = document.getElementById('status');
  status.hidden = !offline;
  status.textContent = offline ? t('app.offline') : '';
  document.body.classList.toggle('offline', offline);
}

/** Files on their way between this computer and the server, by direction and name, as a line each. */
const transfers = new Map();

function showTransfer(transfer) {
  const key = `${transfer.upload ? 'up' : 'down'}:${transfer.filename}`;
  if (transfer.done >= transfer.total) {
    transfers.delete(key);
  } else {
    const percent = transfer.total > 0 ? Math.floor((100 * transfer.done) / transfer.total) : 0;
    transfers.set(key, t(transfer.upload ? 'transfer.sending' : 'transfer.receiving',
      {name: transfer.filename, percent}));
  }
  const line = document.getElementById('transfers');
  line.textContent = [...transfers.values()].join(' · ');
  line.hidden = transfers.size === 0;
}

async function boot() {
  await loadLanguage(preferredLanguage());
  document.title = t('app.title');
  show(el('p', {}, t('app.loading')));
  const fragment = new URLSearchParams(location.hash.slice(1));
  const secret = fragment.get('secret');
  // A svyaz:// link the app was opened with (svyaz app LINK, as a click on one runs it).
  const link = fragment.get('link') || '';
  if (secret) {
    // The secret is good once; keep it out of the history and the address bar.
    history.replaceState(null, '', '/');
    if (!await startSession(secret)) {
      show(el('p', {class: 'error', role: 'alert'}, t('app.sessionFailed')));
      return;
    }
  }
  let wasOffline = false;
  listen(received => {
    if (!handleCallMessage(received.envelope)) {
      events.publish(received);
    }
  }, online => {
    setOffline(!online);
    if (online && wasOffline) {
      events.reconnected();
    }
    wasOffline = !online;
  }, showTransfer);
  const accounts = await call('listAccounts');
  if (accounts.length === 0) {
    showFirstRun(account => {
      startCalls(account);
      showChats(account);
    }, link);
  } else if (link.startsWith('svyaz://relay/')) {
    const account = accounts[0].username;
    startCalls(account);
    showConnection(account, () => showChats(account), link);
  } else {
    startCalls(accounts[0].username);
    showChats(accounts[0].username);
  }
}

boot().catch(error => {
  show(el('p', {class: 'error', role: 'alert'}, error.message));
});
